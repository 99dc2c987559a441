"""`senate propose` prints exactly the rule and reasons `senate tally` computes."""

from __future__ import annotations

import secrets
from typing import Any

import pytest
from conftest import RATIONALE, Governed, propose_args

ADD = ("--type", "experiment", "--change", "add_field", "--field", "notes",
       "--spec", '{"type": "string"}')
CASES = {
    "breaking": (("--breaking",), None),
    "drop table": ((), "DROP TABLE artifacts;\n"),
    "unparsable": ((), "UPDATE artifacts SET;\n"),
    "procedural": ((), "DO $$ BEGIN EXECUTE 'DROP TABLE artifacts'; END $$;\n"),
    "tautology": ((), "UPDATE artifacts SET metadata = '{}' WHERE true;\n"),
    "backfill": ((), "UPDATE artifacts SET metadata = json_set(metadata, '$.notes', 'x')\n"
                     "WHERE artifact_type = 'experiment';\n"),
}


def _open(cli: Any, g: Governed, flags: tuple[str, ...], sql: str | None,
          json: bool = True) -> Any:
    extra: list[str] = []
    if sql is not None:
        path = g.path.parent / f"mig-{secrets.token_hex(4)}.sql"
        path.write_text(sql)
        extra = ["--migration", str(path)]
    return cli(*propose_args(g, *ADD, *flags, "--rationale", RATIONALE, *extra,
                             *(["--json"] if json else [])))


@pytest.mark.parametrize("case", list(CASES))
def test_propose_announces_the_tally_rule(cli: Any, governed: Governed, case: str) -> None:
    flags, sql = CASES[case]
    opened = _open(cli, governed, flags, sql)
    assert opened.code == 0, opened.out + opened.err
    said = opened.json()
    tally = cli("--repo", governed.path, "tally", said["id"], "--json").json()
    for key in ("rule", "rule_reason", "problems", "required"):
        assert said[key] == tally[key], key
    assert "Falling back" not in opened.err
    refused = case in ("unparsable", "procedural")  # blocked whatever the votes
    assert bool(said["problems"]) == refused
    expected_rule = "two_thirds" if case == "backfill" or refused else "unanimous"
    assert said["rule"] == expected_rule


def test_propose_text_names_rule_reason_and_problems(cli: Any, governed: Governed) -> None:
    opened = _open(cli, governed, (), "DROP TABLE artifacts;\nSELEC 1;\n", json=False)
    assert opened.code == 0, opened.err
    pid = opened.out.splitlines()[0]
    tally = cli("--repo", governed.path, "tally", pid, "--json").json()
    assert f"rule: {tally['rule']}: {tally['rule_reason']}" in opened.out
    assert "2/3 of the roster" not in opened.out
    for problem in tally["problems"]:
        assert f"! {problem}" in opened.out


def test_compatible_with_breaking_is_a_usage_error(cli: Any, governed: Governed) -> None:
    before = governed.git.refs("refs/heads/")
    result = _open(cli, governed, ("--compatible", "--breaking"), None)
    assert result.code == 2
    assert "--compatible and --breaking" in result.json()["error"]["message"]
    assert governed.git.refs("refs/heads/") == before  # nothing written
