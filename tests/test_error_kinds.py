"""One small set of error kinds for the CLI's --json and the API (issue 12, items 5, 11).

The kind alone decides the exit code and the HTTP status, so the same refusal exits the
same way locally and through `--server`; API hints speak of request fields, not flags.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from apikit import serve_in_thread
from conftest import RATIONALE, Governed, open_add_field

from senate.errors import KINDS
from senate.sqlcheck import classify


@pytest.fixture
def url(governed: Governed) -> Iterator[str]:
    with serve_in_thread(governed.path) as base:
        yield base


def both_ways(cli: Any, g: Governed, url: str, *args: str | Any) -> list[tuple[int, str]]:
    local = cli("--repo", g.path, *args, "--json")
    remote = cli("--repo", g.path, *args, "--server", url, "--json")
    return [(r.code, r.json()["error"]["kind"]) for r in (local, remote)]


def test_a_key_not_on_the_roster_exits_alike_locally_and_through_the_server(
        governed: Governed, cli: Any, url: str) -> None:
    pid = open_add_field(cli, governed)
    got = both_ways(cli, governed, url, "vote", pid, "approve", "--key",
                    governed.keys["dave"].private)
    assert got == [(2, "forbidden"), (2, "forbidden")]


def test_voting_on_a_closed_proposal_exits_alike_locally_and_through_the_server(
        governed: Governed, cli: Any, url: str) -> None:
    pid = open_add_field(cli, governed)
    archived = cli("--repo", governed.path, "archive", pid, "--reason", "withdrawn by the "
                   "proposer", "--key", governed.keys["alice"].private)
    assert archived.code == 0, archived.err
    got = both_ways(cli, governed, url, "vote", pid, "approve", "--key",
                    governed.keys["bob"].private)
    assert got == [(2, "closed"), (2, "closed")]


def test_every_kind_is_snake_case_and_maps_to_one_exit_code_and_status() -> None:
    for kind, info in KINDS.items():
        assert kind == kind.lower() and " " not in kind
        assert info.exit_code in (1, 2, 3) and 400 <= info.http_status < 600


def test_cli_json_errors_use_the_documented_kinds(governed: Governed, cli: Any) -> None:
    missing = cli("--repo", governed.path, "show", "0099-nothing", "--json")
    bad_option = cli("--repo", governed.path, "tally", "--nope", "--json")
    assert missing.json()["error"]["kind"] == "not_found" and missing.code == 2
    assert bad_option.code == 2
    for result in (missing,):
        assert result.json()["error"]["kind"] in KINDS


def test_api_errors_use_the_documented_kinds_and_api_hints(governed: Governed,
                                                           url: str) -> None:
    public = governed.keys["alice"].public.read_text()
    draft = {"proposer_key": public, "artifact_type": "experiment", "change_type": "add_field",
             "field": "title", "field_spec": {"type": "string"}, "rationale": RATIONALE}
    exists = httpx.post(url + "/api/senate/schema-proposal/draft", json=draft)
    error = exists.json()["error"]
    assert exists.status_code == 422 and error["kind"] == "invalid_input"
    assert "--" not in error["message"] and "--" not in (error["hint"] or "")
    assert "change_type" in (error["hint"] or "")
    answers = [
        httpx.get(url + "/api/senate/schema-proposal/0099-nothing"),
        httpx.post(url + "/api/senate/schema-proposal/draft", json={"nope": 1}),
        httpx.get(url + "/api/no-such-path"),
    ]
    kinds = [(a.status_code, a.json()["error"]["kind"]) for a in answers]
    assert kinds == [(404, "not_found"), (422, "invalid_input"), (404, "not_found")]
    for answer in answers:
        assert "--" not in (answer.json()["error"]["hint"] or "")


def test_sql_syntax_errors_speak_sql_not_python() -> None:
    for sql in ("UPDATE t SET a = 1 WHERE b =", "DELETE FROM t WHERE", "SELECT 1 +",
                "SELECT ("):
        [verdict] = classify(sql, "sqlite").statements
        assert verdict.kind == "refused"
        assert "<class" not in verdict.reason and "sqlglot" not in verdict.reason
        assert verdict.reason.startswith("does not parse")
    [verdict] = classify("UPDATE t SET a = 1 WHERE b =", "sqlite").statements
    assert "right-hand side of =" in verdict.reason


def test_cli_wording_is_reworded_for_the_api() -> None:
    from senate.api.errors import for_api

    assert for_api("use --change modify_field to change it") == (
        'use change_type "modify_field" to change it')
    assert for_api("rename_field needs --new-name NAME") == "rename_field needs new_name"
    assert for_api("run `senate schema list` for the known types") == (
        "run `GET /api/schemas` for the known types")
    assert for_api("check --key") is None  # only makes sense on the command line
    assert for_api(None) is None


def test_an_unexpected_failure_is_exit_3_without_a_traceback(
        governed: Governed, cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    import senate.schema_view

    def broken(*args: Any) -> Any:
        raise RuntimeError("boom")

    monkeypatch.setattr(senate.schema_view, "schema_rows", broken)
    result = cli("--repo", governed.path, "schema", "list", "--json")
    assert result.code == 3 and "Traceback" not in result.out + result.err
    error = result.json()["error"]
    assert error["kind"] == "internal" and "RuntimeError: boom" in error["message"]
