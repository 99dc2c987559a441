"""What a reviewer reads (issue 12, items 12, 13): a rename as a rename; only what breaks
in the configured compatibility mode highlighted."""

from __future__ import annotations

import re
from typing import Any

import httpx
from apikit import serve_in_thread
from conftest import RATIONALE, Governed, open_add_field, propose_args

from senate.compat.model import Change, Report
from senate.compat.renames import explain_renames


def rename(cli: Any, g: Governed) -> str:
    result = cli(*propose_args(g, "--type", "experiment", "--change", "rename_field",
                               "--field", "source_doi", "--new-name", "doi",
                               "--rationale", RATIONALE, "--json"))
    assert result.code == 0, result.out + result.err
    pid: str = result.json()["id"]
    return pid


def test_explain_renames_merges_the_pair_and_keeps_the_verdict() -> None:
    removed = Change("property_removed", "/properties/a", "backward", "now accepts nothing")
    added = Change("property_added", "/properties/b", "forward", "new key")
    other = Change("type_narrowed", "/properties/c", "backward", "narrower")
    report = Report.of((removed, added, other))
    out = explain_renames(report, {"a": "b"})
    assert [c.kind for c in out.changes] == ["property_renamed", "type_narrowed"]
    assert out.changes[0].breaks == "both" and "renamed to 'b'" in out.changes[0].explanation
    assert (out.backward_compatible, out.forward_compatible) == (
        report.backward_compatible, report.forward_compatible)
    assert explain_renames(report, {"a": "zzz"}) == report  # not a rename's shape


def test_show_explains_a_rename_as_a_rename(governed: Governed, cli: Any) -> None:
    pid = rename(cli, governed)
    data = cli("--repo", governed.path, "show", pid, "--json").json()
    [change] = data["compatibility"]["changes"]
    assert change["kind"] == "property_renamed" and change["breaking"] is True
    assert "'source_doi' renamed to 'doi'" in change["explanation"]
    assert "moves each artifact's value" in change["explanation"]
    text = cli("--repo", governed.path, "show", pid).out
    assert "renamed to 'doi'" in text and "accepts nothing" not in text


def semantic_section(page: str) -> str:
    found = re.search(r'<section id="semantic-diff">(.*?)</section>', page, re.S)
    assert found is not None
    return found.group(1)


def test_a_compatible_addition_is_not_drawn_breaking_in_backward_mode(
        governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    with serve_in_thread(governed.path) as url:
        section = semantic_section(httpx.get(f"{url}/senate/proposals/{pid}").text)
    assert "property_added" in section
    assert 'class="breaking"' not in section and "BREAKS" not in section
    assert "breaks forward only (not checked in backward mode)" in section


def test_what_breaks_in_the_mode_is_highlighted(governed: Governed, cli: Any) -> None:
    pid = rename(cli, governed)
    with serve_in_thread(governed.path) as url:
        section = semantic_section(httpx.get(f"{url}/senate/proposals/{pid}").text)
    assert 'class="breaking"' in section and "BREAKS both" in section
    assert "property_renamed" in section
