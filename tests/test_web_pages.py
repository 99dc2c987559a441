"""Review pages (issue 12, items 15, 16): `/` leads to them, HEAD works, each schema has
its own page with version, current schema and history linked to its proposals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apikit import serve_in_thread
from conftest import Governed, open_add_field


@pytest.fixture
def url(governed: Governed) -> Iterator[str]:
    with serve_in_thread(governed.path) as base:
        yield base


def merged_proposal(cli: Any, g: Governed) -> str:
    pid = open_add_field(cli, g)
    for name in ("alice", "bob", "carol"):
        voted = cli("--repo", g.path, "vote", pid, "approve", "--key", g.keys[name].private)
        assert voted.code == 0, voted.err
    merged = cli("--repo", g.path, "merge", pid)
    assert merged.code == 0, merged.out + merged.err
    return pid


def test_root_redirects_to_the_review_pages(url: str) -> None:
    for path in ("/", "/senate"):
        answer = httpx.get(url + path, follow_redirects=False)
        assert answer.status_code in (302, 303, 307), path
        assert answer.headers["location"] == "/senate/proposals"
    landed = httpx.get(url + "/", follow_redirects=True)
    assert landed.status_code == 200 and "Proposals" in landed.text


def test_head_on_a_page_answers_like_get_without_a_body(governed: Governed, cli: Any,
                                                        url: str) -> None:
    pid = open_add_field(cli, governed)
    for path in ("/senate/proposals", f"/senate/proposals/{pid}", "/senate/schemas",
                 "/senate/schemas/experiment", "/"):
        get = httpx.get(url + path)
        head = httpx.head(url + path)
        assert head.status_code == get.status_code, path
        assert head.content == b""
        assert head.headers.get("content-type") == get.headers.get("content-type")


def test_registry_links_each_type_to_its_page(governed: Governed, cli: Any) -> None:
    pid = merged_proposal(cli, governed)
    with serve_in_thread(governed.path) as url:
        registry = httpx.get(url + "/senate/schemas").text
        assert '<a href="/senate/schemas/experiment">experiment</a>' in registry
        answer = httpx.get(url + "/senate/schemas/experiment")
        assert answer.status_code == 200
        page = answer.text
        assert re.search(r'id="version">v2<', page)
        assert f'<a href="/senate/proposals/{pid}">{pid}</a>' in page
        assert "statistical_power" in page  # the current schema, with the merged field
        assert "initial" in page
        missing = httpx.get(url + "/senate/schemas/no_such_type")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("text/html")
