"""The counter reads the proposer's SQL: destructive forces unanimity, broken SQL blocks."""

from __future__ import annotations

from typing import Any

from conftest import Governed
from migkit import propose
from votekit import vote

from senate.counting import count


def test_destructive_sql_forces_unanimity(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}',
                  sql="UPDATE artifacts SET metadata = metadata WHERE 1 = 1;\n"
                      "DROP TABLE legacy_notes;\n")
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    t = count(g.git, pid).to_json()
    assert t["rule"] == "unanimous"
    assert t["rule_reason"] == (
        "destructive migration SQL: migration.sql line 2: DROP TABLE destroys data: "
        "DROP TABLE legacy_notes")
    assert t["status"] == "open"  # 2 of 3 would pass 2/3; unanimity needs carol too
    vote(g, pid, "carol", "approve")
    assert count(g.git, pid).approved


def test_compatible_sql_keeps_two_thirds(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}',
                  sql="UPDATE artifacts SET metadata = metadata WHERE artifact_type = 'x';\n")
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    result = count(g.git, pid)
    assert result.tally.rule.name == "two_thirds"
    assert result.approved


def test_syntax_error_blocks_approval(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}', sql="-- fill\nUPDATE artifacts SET;\n")
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    t = count(g.git, pid).to_json()
    assert t["approve"] == 3
    assert t["status"] == "open"
    assert any("migration.sql (sqlite) line 2: syntax error" in p for p in t["problems"])
    check = cli("--repo", g.path, "check", pid)
    assert check.code == 1


def test_per_dialect_file_overrides_the_generic_one(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}', sql="TRUNCATE artifacts;\n",
                  sql_files={"migration.sqlite.sql": "SELECT 1;\n",
                             "migration.postgres.sql": "SELECT 2;\n"})
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    result = count(g.git, pid)
    # migration.sql runs nowhere once both dialects have their own file.
    assert result.tally.rule.name == "two_thirds" and result.approved
