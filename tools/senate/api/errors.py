"""The one place where failures become HTTP answers: {"error": {kind, message, hint}}.

SenateError subclasses carry their status (`http_status`); request validation errors
are 422; anything unexpected is logged and answered 500 without internals. Bad input
must never reach that last case.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from senate.errors import SenateError

log = logging.getLogger("senate.api")


def error_response(
    status: int, kind: str, message: str, hint: str | None = None,
    details: dict[str, Any] | None = None, request: Request | None = None,
) -> Response:
    if request is not None and request.url.path.startswith("/senate/"):
        # A person reading the review pages gets a page, not a JSON body.
        from senate.web.pages import page

        answer = page("error.html.j2", title=f"{status} {kind}", status=status, kind=kind,
                      message=message, hint=hint)
        answer.status_code = status
        return answer
    body: dict[str, Any] = {"kind": kind, "message": message, "hint": hint}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def _senate(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SenateError)
    kind = getattr(exc, "kind", type(exc).__name__)
    if exc.http_status >= 500:
        log.error("server-side failure on %s: %s", request.url.path, exc)
    return error_response(exc.http_status, str(kind), exc.message, exc.hint,
                          getattr(exc, "details", None), request)


def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()[:10]
    ]
    return error_response(422, "invalid_request", "; ".join(problems) or "invalid request",
                          "see the request schema at /docs", request=request)


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    return error_response(exc.status_code, "http", str(exc.detail), request=request)


def _unicode(request: Request, exc: Exception) -> Response:
    # Lone surrogates pass JSON parsing but cannot become UTF-8 bytes in git objects.
    return error_response(422, "invalid_text", f"text that is not valid Unicode: {exc}",
                          "send UTF-8 text without lone surrogates", request=request)


def _recursion(request: Request, exc: Exception) -> Response:
    # A backstop: request models already bound the nesting of free-form JSON.
    return error_response(422, "too_deep", "the input is nested too deeply to process",
                          "flatten the JSON you send", request=request)


def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected failure on %s", request.url.path)
    return error_response(500, "internal", "internal error", "see the server log",
                          request=request)


def install(app: FastAPI) -> None:
    app.add_exception_handler(SenateError, _senate)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(UnicodeError, _unicode)
    app.add_exception_handler(RecursionError, _recursion)
    app.add_exception_handler(Exception, _unexpected)
