"""The counter judges the proposer's SQL: refused blocks, destructive needs everyone, and
the dry run (real SQLite, real PostgreSQL where configured) measures what it would do."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import psycopg
from conftest import Governed
from migkit import commit_on_main, pg_url, propose  # noqa: F401  (pg_url is a fixture)
from votekit import vote

from senate.counting import count

ADD = ("--type", "experiment", "--change", "add_field", "--field", "notes",
       "--spec", '{"type": "string"}')
BACKFILL_SQLITE = ("UPDATE artifacts SET metadata = json_set(metadata, '$.notes', 'n/a')\n"
                   "WHERE artifact_type = 'experiment';\n")
BACKFILL_PG = ("UPDATE artifacts SET metadata = jsonb_set(metadata, '{notes}', '\"n/a\"')\n"
               "WHERE artifact_type = 'experiment';\n")


def configure(g: Governed, extra: str, files: dict[str, bytes] | None = None) -> None:
    """Append to main's senate.toml (and add files) in a plain commit on main."""
    toml = (g.git.read_file("main", "senate.toml") or b"").decode()
    commit_on_main(g, {"senate.toml": (toml + "\n" + extra).encode(), **(files or {})},
                   "configure the dry run\n")


def dry_run(t: Any, dialect: str = "sqlite") -> dict[str, Any]:
    runs = {r.dialect: r.to_json() for r in t.sql.rehearsals}
    return runs[dialect]


class Counted:
    """A count, its JSON and the SQL part of its rule."""

    def __init__(self, g: Governed, pid: str) -> None:
        self.result = count(g.git, pid)
        self.ref = self.result.ref
        assert self.result.sql is not None
        self.sql = self.result.sql
        self.json = self.result.to_json()


def rows_of(table: dict[str, Any], name: str) -> dict[str, Any]:
    return next(t for t in table["tables"] if t["table"] == name)


def test_delete_with_a_tautology_needs_everyone(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql="DELETE FROM artifacts WHERE 1 = 1;\n")
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    c = Counted(g, pid)
    assert c.json["rule"] == "unanimous"
    reason = c.json["rule_reason"]
    assert reason.startswith("destructive migration SQL: migration.sql (sqlite, postgres) "
                             "line 1: DELETE removes artifacts")
    run = dry_run(c)
    lost = rows_of(run, "artifacts")
    assert lost["after"] == 0 and lost["lost"] == lost["before"] > 30  # the shipped samples
    assert f"the sqlite dry run lost {lost['before']} row(s) of artifacts" in reason
    assert c.json["status"] == "open"  # 2 of 3 would pass 2/3; unanimity needs carol too
    vote(g, pid, "carol", "approve")
    assert count(g.git, pid).approved


def test_a_legitimate_backfill_stays_two_thirds(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql="SELECT 1;\n",
                  sql_files={"migration.sqlite.sql": BACKFILL_SQLITE,
                             "migration.postgres.sql": BACKFILL_PG})
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    c = Counted(g, pid)
    assert c.json["rule"] == "two_thirds", c.json["rule_reason"]
    assert c.json["problems"] == []
    assert c.result.approved
    run = dry_run(c)
    experiments = [a for a in run["changed_artifacts"] if a.startswith("sample:experiment/")]
    assert len(experiments) == len(run["changed_artifacts"]) >= 2
    assert rows_of(run, "artifacts")["lost"] == 0
    assert rows_of(run, "schema_registry")["added"] == 1


def test_refused_sql_blocks_approval_and_never_runs(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql="DO $$ BEGIN EXECUTE 'DROP TABLE artifacts CASCADE'; "
                                    "END $$;\n")
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    c = Counted(g, pid)
    assert c.json["approve"] == 3 and c.json["status"] == "open"
    stmt = "DO $$ BEGIN EXECUTE 'DROP TABLE artifacts CASCADE'; END $$"
    assert c.json["problems"] == [
        "refused migration SQL: migration.sql (sqlite) line 1: does not parse (Invalid "
        f"expression / Unexpected token): {stmt}",
        "refused migration SQL: migration.sql (postgres) line 1: Senate cannot read this DO "
        f"statement (no known statement kind): {stmt}"]
    assert c.sql.rehearsals == () and c.sql.skipped is not None
    assert cli("--repo", g.path, "check", pid).code == 1


def test_syntax_error_blocks_approval(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql="-- fill\nUPDATE artifacts SET;\n")
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    t = count(g.git, pid).to_json()
    assert t["approve"] == 3
    assert t["status"] == "open"
    assert any("migration.sql (sqlite, postgres) line 2: does not parse" in p
               for p in t["problems"]), t["problems"]
    assert cli("--repo", g.path, "check", pid).code == 1


def test_a_migration_failing_on_the_scratch_database_names_its_statement(
    cli: Any, governed: Governed
) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql="SELECT 1;\n\nUPDATE artifacts SET metadata = '[]'\n"
                                    "WHERE artifact_type = 'experiment';\n")
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    t = count(g.git, pid).to_json()
    assert t["status"] == "open"
    [problem] = t["problems"]
    assert problem.startswith(
        "the migration fails on a scratch sqlite database at migration.sql line 3 "
        "(UPDATE artifacts SET metadata = '[]' WHERE artifact_type = 'experiment'): ")
    assert "CHECK constraint failed" in problem
    check = cli("--repo", g.path, "check", pid)
    assert check.code == 1 and "migration.sql line 3" in check.out + check.err


def test_per_dialect_file_overrides_the_generic_one(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql="TRUNCATE artifacts;\n",
                  sql_files={"migration.sqlite.sql": "SELECT 1;\n",
                             "migration.postgres.sql": "SELECT 2;\n"})
    vote(g, pid, "alice", "approve")
    vote(g, pid, "bob", "approve")
    result = count(g.git, pid)
    # migration.sql runs nowhere once both dialects have their own file.
    assert result.tally.rule.name == "two_thirds" and result.approved


REQUIRED = ("--type", "experiment", "--change", "add_field", "--field", "power",
            "--spec", '{"type": "number"}', "--required")


def test_a_required_field_the_sql_backfills(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *REQUIRED, sql=(
        "UPDATE artifacts SET metadata = json_set(metadata, '$.power', 0.8)\n"
        "WHERE artifact_type = 'experiment';\n"))
    c = Counted(g, pid)
    assert c.json["problems"] == []
    assert "destructive" not in c.json["rule_reason"]  # unanimous: not backward compatible
    [note] = c.sql.notes
    assert note.startswith("experiment.power is added as a required field without a default:"
                           " existing experiment artifacts become invalid unless the "
                           "proposer's SQL backfills them.")
    assert "the SQL backfills them" in note


def test_a_required_field_the_sql_forgets(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *REQUIRED, sql="SELECT 1;\n")
    c = Counted(g, pid)
    assert c.json["rule"] == "unanimous"
    assert "the sqlite dry run left 2 artifact(s) invalid under the new schema: " \
        "sample:experiment/minimal ($: 'power' is a required property)" in c.json["rule_reason"]
    assert "found 2 artifact(s) invalid afterwards" in c.sql.notes[0]


def test_samples_from_a_repository_folder(cli: Any, governed: Governed) -> None:
    g = governed
    extra = b'{"title": "Extra", "design": "within_subject", "model_system": ' \
        b'{"preparation": "in_vitro"}, "measurements": [{"variable": "x"}]}'
    configure(g, '[dry_run]\nsamples = "more-samples"\n',
              {"more-samples/experiment/extra.json": extra})
    pid = propose(cli, g, *ADD, sql="DELETE FROM artifacts WHERE id = 'repo:experiment/extra';\n")
    c = Counted(g, pid)
    run = dry_run(c)
    assert run["sample_sources"] == ["shipped samples", "more-samples/ in the repository"]
    assert run["lost_artifacts"] == ["repo:experiment/extra"]
    assert "the sqlite dry run lost 1 row(s) of artifacts" in c.json["rule_reason"]


def test_samples_copied_from_a_database(cli: Any, governed: Governed, tmp_path: Path) -> None:
    g = governed
    source = tmp_path / "prod.db"
    with sqlite3.connect(source) as conn:
        conn.execute("CREATE TABLE artifacts (id TEXT, artifact_type TEXT, metadata TEXT)")
        conn.executemany("INSERT INTO artifacts VALUES (?, 'experiment', ?)",
                         [(f"p{i:03d}", '{"title": "t"}') for i in range(50)])
    configure(g, f'[dry_run]\nsample_dsn = "sqlite:///{source}"\nsample_limit = 7\n')
    pid = propose(cli, g, *ADD, sql="DELETE FROM artifacts WHERE id LIKE 'db:%';\n")
    c = Counted(g, pid)
    run = dry_run(c)
    assert run["lost_artifacts"] == [f"db:p{i:03d}" for i in range(7)]
    with sqlite3.connect(source) as conn:  # read, never written
        assert conn.execute("SELECT count(*) FROM artifacts").fetchone() == (50,)


def test_the_postgres_dry_run_when_configured(
    cli: Any, governed: Governed, pg_url: str  # noqa: F811
) -> None:
    g = governed
    configure(g, f'[dry_run]\npostgres_dsn = "{pg_url}"\n')
    pid = propose(cli, g, *ADD, sql="SELECT 1;\n", sql_files={
        "migration.sqlite.sql": BACKFILL_SQLITE,
        "migration.postgres.sql": "DELETE FROM artifacts WHERE artifact_type = 'experiment';\n"})
    c = Counted(g, pid)
    run = dry_run(c, "postgres")
    assert run["broken"] is None, run
    assert run["lost_artifacts"] == ["sample:experiment/minimal",
                                     "sample:experiment/optogenetic_fear_extinction"]
    assert "the postgres dry run lost 2 row(s) of artifacts" in c.json["rule_reason"]
    assert "lost" not in dry_run(c, "sqlite")["destructive"]
    with psycopg.connect(pg_url) as conn:  # everything was rolled back
        left = conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE "
                            "'senate_dry_run_%'").fetchall()
        tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
                              ).fetchone()
    assert left == [] and tables == (0,)


def test_an_unreachable_postgres_dry_run_blocks(cli: Any, governed: Governed) -> None:
    g = governed
    configure(g, '[dry_run]\npostgres_dsn = "postgresql://nobody@127.0.0.1:1/none"\n')
    pid = propose(cli, g, *ADD, sql="SELECT 1;\n")
    problems = count(g.git, pid).problems
    assert any(p.startswith("the postgres dry run could not run: cannot connect") for p in
               problems), problems
