"""The one place where failures become HTTP answers: {"error": {kind, reason, message, hint}}.

`kind` is one of senate.errors.KINDS and alone decides the status; `reason` is the finer
cause where known. Request validation errors are invalid_input (422); anything
unexpected is logged and answered 500 (internal) without internals. Bad input must never
reach that last case. Messages and hints written for the CLI name its options; here
they are reworded in terms of the request's fields, and a hint that only makes sense on
the command line is dropped.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from senate.errors import KINDS, SenateError, kind_for_status

log = logging.getLogger("senate.api")

# The CLI option -> the field of the API request that carries the same value.
OPTION_FIELDS = {
    "type": "artifact_type", "change": "change_type", "field": "field", "spec": "field_spec",
    "new-name": "new_name", "rationale": "rationale", "migration": "migration_sql",
    "migration-plan": "migration_plan", "required": "required",
    "compatible": "backward_compatible", "breaking": "backward_compatible",
}
COMMANDS = {"senate schema list": "GET /api/schemas", "senate roster list": "GET /api/roster",
            "senate proposals": "GET /api/senate/schema-proposals"}
_CHANGE = re.compile(r"--change ([a-z_]+)")
_OPTION = re.compile(r"--([a-z][a-z-]*)(?: [A-Z][A-Z_]*\b)?")


def for_api(text: str | None) -> str | None:
    """CLI wording made right for an API caller; None when it names only CLI things."""
    if text is None:
        return None
    text = _CHANGE.sub(r'change_type "\1"', text)
    text = _OPTION.sub(lambda m: OPTION_FIELDS.get(m.group(1), m.group(0)), text)
    for command, endpoint in COMMANDS.items():
        text = text.replace(command, endpoint)
    return None if "--" in text or "`senate " in text else text


def error_response(
    status: int, kind: str, message: str, hint: str | None = None,
    details: dict[str, Any] | None = None, request: Request | None = None,
    reason: str | None = None,
) -> Response:
    assert kind in KINDS, kind
    if request is not None and request.url.path.startswith("/senate/"):
        # A person reading the review pages gets a page, not a JSON body.
        from senate.web.pages import page

        answer = page("error.html.j2", title=f"{status} {kind}", status=status, kind=kind,
                      message=message, hint=hint)
        answer.status_code = status
        return answer
    body: dict[str, Any] = {"kind": kind, "reason": reason, "message": message, "hint": hint}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status)


def _senate(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, SenateError)
    if exc.http_status >= 500:
        log.error("server-side failure on %s: %s", request.url.path, exc)
    message = for_api(exc.message) or exc.message
    return error_response(exc.http_status, exc.kind, message, for_api(exc.hint),
                          getattr(exc, "details", None), request, exc.reason)


def _validation(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = [
        f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg', 'invalid')}"
        for e in exc.errors()[:10]
    ]
    return error_response(422, "invalid_input", "; ".join(problems) or "invalid request",
                          "see the request schema at /docs", request=request,
                          reason="invalid_request")


def _http(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    hint = "see the API's paths at /docs" if status in (404, 405) else None
    return error_response(status, kind_for_status(status), str(exc.detail), hint,
                          request=request, reason=f"http_{status}")


def _unicode(request: Request, exc: Exception) -> Response:
    # Lone surrogates pass JSON parsing but cannot become UTF-8 bytes in git objects.
    return error_response(422, "invalid_input", f"text that is not valid Unicode: {exc}",
                          "send UTF-8 text without lone surrogates", request=request,
                          reason="invalid_text")


def _recursion(request: Request, exc: Exception) -> Response:
    # A backstop: request models already bound the nesting of free-form JSON.
    return error_response(422, "invalid_input", "the input is nested too deeply to process",
                          "flatten the JSON you send", request=request, reason="too_deep")


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
