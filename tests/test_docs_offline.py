"""/docs works offline (issue 12, item 14): Swagger UI's assets come from a Python package
the project depends on, served by `senate serve` itself; the page names no other host.
(tests/test_web_browser.py renders it in chromium with every non-local request refused.)"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from apikit import serve_in_thread
from conftest import Governed

URL_ATTR = re.compile(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""")


@pytest.fixture
def url(governed: Governed) -> Iterator[str]:
    with serve_in_thread(governed.path) as base:
        yield base


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_reference_only_local_assets_and_serve_them(url: str, page: str) -> None:
    html = httpx.get(url + page).text
    assert "cdn." not in html and "jsdelivr" not in html and "unpkg" not in html
    referenced = URL_ATTR.findall(html)
    assert any(r.endswith(".js") for r in referenced), html
    for ref in referenced:
        assert ref.startswith("/") and not ref.startswith("//"), ref
        answer = httpx.get(url + ref)
        assert answer.status_code == 200, ref
        if ref.endswith(".js"):
            assert len(answer.content) > 100_000  # the real bundle, not a stub


def test_swagger_ui_does_not_call_the_online_validator(url: str) -> None:
    html = httpx.get(url + "/docs").text
    assert '"validatorUrl": null' in html
