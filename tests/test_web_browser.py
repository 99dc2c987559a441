"""A real browser (Debian's chromium driven by Playwright) reads a real proposal page."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from apikit import serve_in_thread
from conftest import RATIONALE, Governed, open_add_field

from senate import sshsig
from senate.api.client import SenateClient

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]


@pytest.fixture(scope="session")
def chromium() -> Path:
    """Debian's chromium, installed with apt-get when missing (never Playwright's download)."""
    pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    if CHROMIUM.exists():
        return CHROMIUM
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        pytest.skip("chromium is not installed and apt-get (as root) is not available")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for step in ([apt, "update"], [apt, "install", "-y", "--no-install-recommends", "chromium"]):
        done = subprocess.run(step, capture_output=True, text=True, env=env, timeout=900)
        if done.returncode != 0:
            pytest.skip(f"could not install chromium: {done.stderr[-500:]}")
    if not CHROMIUM.exists():
        pytest.skip("apt-get installed chromium but /usr/bin/chromium is missing")
    return CHROMIUM


@pytest.fixture
def browser(chromium: Path) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    os.environ["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1"
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(chromium), args=ARGS, headless=True)
        yield b
        b.close()


def test_proposal_page_in_chromium(governed: Governed, cli: Any, browser: Any) -> None:
    keys = {n: sshsig.load_private_key(governed.keys[n].private) for n in ("alice", "bob")}
    open_add_field(cli, governed)  # a second proposal, so the list has two
    with serve_in_thread(governed.path) as url, SenateClient(url) as client:
        made = client.propose(
            keys["bob"], artifact_type="experiment", change_type="add_field",
            field="replicate_count", field_spec={"type": "integer", "minimum": 1},
            required=True, backward_compatible=False,
            rationale=f"{RATIONALE}\nOld rows get 1 <b>by default</b>.",
        )
        pid = made["id"]
        client.vote(pid, keys["alice"], "reject", "first look: too strict")
        client.comment(pid, keys["bob"], "the backfill sets 1 for every old row")
        client.vote(pid, keys["alice"], "approve", "convinced by the backfill")
        client.vote(pid, keys["bob"], "approve", "my own proposal")
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        page.goto(f"{url}/senate/proposals/{pid}")
        assert page.title() == f"Proposal {pid} · Senate"
        assert page.locator("#approvals").inner_text() == "2 approve"
        assert page.locator("#verdict").inner_text() == "NOT backward compatible"
        breaking = page.locator("#semantic-diff tr.breaking")
        assert breaking.count() >= 1
        assert "BREAKS" in breaking.first.inner_text()
        assert breaking.first.is_visible()
        votes = page.locator("#votes").inner_text()
        assert "convinced by the backfill" in votes and "my own proposal" in votes
        ignored = page.locator("#ignored").inner_text()
        assert "superseded" in ignored and "too strict" in ignored
        assert "the backfill sets 1" in page.locator("#debate").inner_text()
        # the markup in the rationale is shown as text, never rendered
        assert "<b>by default</b>" in page.locator("#rationale").inner_text()
        assert page.locator("#rationale b").count() == 0
        assert page.locator("#schema-diff table.diff tr.insert").count() >= 1
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "proposal-page.png"
        page.screenshot(path=str(shot), full_page=True)
        assert shot.stat().st_size > 10_000
        page.goto(f"{url}/senate/proposals")
        assert page.locator("#status-open tr").count() == 3  # header + two proposals
        page.close()


def test_api_docs_render_with_the_network_off(governed: Governed, browser: Any) -> None:
    """Every request to a host other than the server is refused: /docs must still render."""
    refused: list[str] = []
    with serve_in_thread(governed.path) as url:
        page = browser.new_page()

        def only_local(route: Any) -> None:
            if route.request.url.startswith(url):
                route.continue_()
            else:
                refused.append(route.request.url)
                route.abort()

        page.route("**/*", only_local)
        page.goto(f"{url}/docs")
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "Senate" in page.locator(".swagger-ui .info .title").inner_text()
        assert page.locator(".opblock").count() >= 5  # the operations are listed
        page.close()
    assert refused == []
