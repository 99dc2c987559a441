"""The dry run on real engines: what it measures is what the SQL really does.

The scratch database is built the way a count builds it (the baseline of this project's
registry, the shipped samples) and the statement runs on real SQLite and real PostgreSQL.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import Governed
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from migkit import generate, merge, pg_url, propose  # noqa: F401  (pg_url is a fixture)

from senate.migrate.db import Database, migration_statements
from senate.migrate.dryrun import Rendered, measure, render_proposal
from senate.migrate.effect import Effect
from senate.migrate.render import render_baseline
from senate.migrate.samples import Samples, shipped
from senate.migrate.scratch import scratch
from senate.policy import Storage
from senate.sqlcheck import SEVERITY, classify

ROOT = Path(__file__).resolve().parent.parent
STORAGE = Storage()


def baseline(dialect: str) -> str:
    schemas = {p.stem: json.loads(p.read_text()) for p in sorted((ROOT / "schemas").glob("*.json"))}
    return render_baseline(schemas, STORAGE, dialect, "2026-01-01T00:00:00Z")


SAMPLES = Samples(shipped(), ("shipped samples",))


def dry(sql: str, dialect: str, dsn: str | None = None) -> Any:
    rendered = Rendered((baseline(dialect),), sql, "migration.sql", sql)
    with scratch(dialect, dsn) as cur:
        return measure(cur, dialect, STORAGE, rendered, SAMPLES)


def outcome(m: Any) -> str:
    """What the engine did, in one word."""
    if m.failure is not None:
        return "fails"
    e: Effect = m.effect
    if e.dropped_tables:
        return "dropped"
    if e.renamed_tables or e.renamed_columns:
        return "renamed"
    if e.dropped_columns:
        return "dropped"
    if any(t.lost for t in e.tables):
        return "lost"
    if m.invalid:
        return "invalid"
    return "clean"


# (sql, dialect, classification, what the real engine does with it). Everything here is
# safe to run in a rolled-back scratch transaction; COPY ... PROGRAM and the like are
# classified in test_sqlcheck.py and never run anywhere.
ENGINE = [
    ("DELETE FROM artifacts WHERE 1 = 1", "both", "destructive", "lost"),
    ("UPDATE artifacts SET metadata = '{}' WHERE true", "both", "destructive", "invalid"),
    ("ALTER TABLE artifacts RENAME TO old_artifacts", "both", "destructive", "renamed"),
    ("ALTER TABLE artifacts RENAME COLUMN metadata TO meta", "both", "destructive", "renamed"),
    ("ALTER TABLE artifacts DROP COLUMN created_at", "both", "destructive", "dropped"),
    ("DROP TABLE artifacts", "both", "destructive", "dropped"),
    ("TRUNCATE ONLY artifacts", "sqlite", "refused", "fails"),
    ("TRUNCATE ONLY artifacts", "postgres", "destructive", "lost"),
    ("DO $$ BEGIN EXECUTE 'DROP TABLE artifacts CASCADE'; END $$", "postgres", "refused",
     "dropped"),
    # (the owner must not be a superuser, whose objects PostgreSQL keeps; all rolled back)
    ("CREATE ROLE senate_test_owner;\nALTER TABLE artifacts OWNER TO senate_test_owner;\n"
     "DROP OWNED BY senate_test_owner", "postgres", "refused", "dropped"),
    ("CREATE FUNCTION wipe() RETURNS int AS $$ DELETE FROM artifacts RETURNING 1 $$ "
     "LANGUAGE sql;\nSELECT wipe()", "postgres", "refused", "lost"),
    ("WITH gone AS (DELETE FROM artifacts RETURNING id) SELECT count(*) FROM gone",
     "postgres", "refused", "lost"),
    ("CREATE TRIGGER t AFTER INSERT ON artifacts BEGIN DELETE FROM artifacts; END;\n"
     "INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('x', 'wiki', '{}')",
     "sqlite", "refused", "fails"),
    ("INSERT OR REPLACE INTO artifacts (id, artifact_type, metadata) "
     "VALUES ('sample:experiment/minimal', 'experiment', '{}')", "sqlite", "destructive",
     "invalid"),
    ("UPDATE artifacts SET metadata = '{}' -- WHERE artifact_type = 'none'\n", "both",
     "destructive", "invalid"),
    ("UPDATE artifacts SET metadata = '{}' WHERE artifact_type = 'experiment' OR 1 = 1",
     "both", "destructive", "invalid"),
    ("SELECT 'DELETE FROM artifacts; --'", "both", "allowed", "clean"),
    ("UPDATE artifacts SET metadata = json_set(metadata, '$.title', 'n/a') "
     "WHERE artifact_type = 'experiment'", "sqlite", "allowed", "clean"),
    ("UPDATE artifacts SET metadata = jsonb_set(metadata, '{title}', '\"n/a\"') "
     "WHERE artifact_type = 'experiment'", "postgres", "allowed", "clean"),
    ("CREATE INDEX artifacts_title_idx ON artifacts (artifact_type, id)", "both", "allowed",
     "clean"),
    ("ALTER TABLE artifacts ADD COLUMN doi TEXT", "both", "allowed", "clean"),
]


def _engine_params() -> list[Any]:
    out = []
    for sql, where, kind, effect in ENGINE:
        for dialect in (("sqlite", "postgres") if where == "both" else (where,)):
            marks = [pytest.mark.postgres] if dialect == "postgres" else []
            out.append(pytest.param(sql, dialect, kind, effect, marks=marks,
                                    id=f"{dialect}:{sql[:40]}"))
    return out


@pytest.mark.parametrize(("sql", "dialect", "kind", "effect"), _engine_params())
def test_the_engine_confirms_the_classification(
    sql: str, dialect: str, kind: str, effect: str, request: pytest.FixtureRequest
) -> None:
    dsn = request.getfixturevalue("pg_url") if dialect == "postgres" else None
    verdicts = classify(sql, dialect, STORAGE, "experiment").statements
    assert max(SEVERITY[v.kind] for v in verdicts) == SEVERITY[kind], verdicts
    assert outcome(dry(sql, dialect, dsn)) == effect
    if effect not in ("clean", "fails"):
        assert kind != "allowed"  # nothing the engine shows to be lossy is allowed


def test_a_runaway_query_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    import senate.migrate.scratch as scratch_module

    monkeypatch.setattr(scratch_module, "TIME_LIMIT_S", 0.2)
    sql = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT max(i) FROM n"
    assert classify(sql, "sqlite").statements[0].kind == "allowed"
    m = dry(sql, "sqlite")
    assert m.failure is not None and "interrupt" in m.failure.message


# --- the property: the dry run's measured effect is what the real migration does -------

TYPES = ["experiment", "paper", "dataset", "wiki"]
KEYS = ["notes", "title", "extra", "n"]
VALUES = st.one_of(st.integers(-5, 5), st.text("abc' ;-", max_size=6), st.booleans())


def _lit(v: Any) -> str:
    return "'" + json.dumps(v).replace("'", "''") + "'"


@st.composite
def statements(draw: Any) -> str:
    kind = draw(st.sampled_from(["update", "update_cond", "insert", "index", "select"]))
    t = draw(st.sampled_from(TYPES))
    k = draw(st.sampled_from(KEYS))
    if kind == "update":
        return (f"UPDATE artifacts SET metadata = json_set(metadata, '$.{k}', "
                f"json({_lit(draw(VALUES))})) WHERE artifact_type = '{t}'")
    if kind == "update_cond":
        return (f"UPDATE artifacts SET metadata = json_remove(metadata, '$.{k}') "
                f"WHERE artifact_type = '{t}' AND json_type(metadata, '$.{k}') IS NOT NULL")
    if kind == "insert":
        ident = draw(st.text("xyz0123", min_size=1, max_size=5))
        doc = {k: draw(VALUES)}
        return (f"INSERT INTO artifacts (id, artifact_type, metadata) VALUES "
                f"('gen:{ident}', '{t}', {_lit(doc)}) ON CONFLICT DO NOTHING")
    if kind == "index":
        return f"CREATE INDEX IF NOT EXISTS gen_{k} ON artifacts (artifact_type, id)"
    return f"SELECT count(*) FROM artifacts WHERE artifact_type = '{t}'"


def _copy_and_apply(migration: str) -> tuple[dict[str, int], dict[str, int],
                                             dict[str, Any], dict[str, Any]]:
    """The oracle: a database built the same way, then `senate migrate apply`'s executor."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    db = Database("sqlite", conn)
    assert db.run_migration(migration_statements(baseline("sqlite"))) is None
    rows = [(i, t, json.dumps(d)) for t, items in SAMPLES.docs.items() for i, d in items]
    db.insert_many("INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)", rows)

    def counts() -> dict[str, int]:
        return {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("artifacts", "schema_registry", "migration_history")}

    def docs() -> dict[str, Any]:
        return {i: json.loads(m) for i, m in conn.execute("SELECT id, metadata FROM artifacts")}

    before, before_docs = counts(), docs()
    assert db.run_migration(migration_statements(migration)) is None
    return before, counts(), before_docs, docs()


@settings(max_examples=60, deadline=None)
@given(st.lists(statements(), min_size=1, max_size=6))
def test_measured_effect_equals_the_real_migration(stmts: list[str]) -> None:
    migration = "BEGIN;\n" + ";\n".join(stmts) + ";\nCOMMIT;\n"
    assert all(v.kind == "allowed" for v in classify(migration.split("\n", 1)[1].rsplit(
        "COMMIT", 1)[0], "sqlite", STORAGE).statements)
    m = dry(migration, "sqlite")
    assert m.failure is None
    before, after, before_docs, after_docs = _copy_and_apply(migration)
    by_table = {t.table: t for t in m.effect.tables}
    for table in before:
        assert (by_table[table].before, by_table[table].after) == (before[table], after[table])
    assert set(m.effect.added_artifacts) == set(after_docs) - set(before_docs)
    assert set(m.effect.lost_artifacts) == set(before_docs) - set(after_docs) == set()
    assert set(m.effect.changed_artifacts) == {
        i for i in before_docs if i in after_docs and before_docs[i] != after_docs[i]}
    assert by_table["artifacts"].changed == len(m.effect.changed_artifacts)


@pytest.mark.postgres
@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(stmts=st.lists(st.sampled_from([
    "UPDATE artifacts SET metadata = jsonb_set(metadata, '{n}', '1') WHERE artifact_type = 'wiki'",
    "UPDATE artifacts SET metadata = metadata - 'title' WHERE artifact_type = 'paper'",
    "INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('gen:1', 'wiki', '{}') "
    "ON CONFLICT DO NOTHING",
    "CREATE INDEX IF NOT EXISTS gen_i ON artifacts (artifact_type)",
]), min_size=1, max_size=4))
def test_measured_effect_equals_the_real_migration_on_postgres(
    stmts: list[str], pg_url: str  # noqa: F811
) -> None:
    import psycopg

    migration = "BEGIN;\n" + ";\n".join(stmts) + ";\nCOMMIT;\n"
    m = dry(migration, "postgres", pg_url)
    assert m.failure is None and m.effect is not None
    schema = "oracle"
    with psycopg.connect(pg_url) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
        conn.execute(f"CREATE SCHEMA {schema}")
        conn.execute(f"SET search_path TO {schema}")
        conn.commit()
        db = Database("postgres", conn)
        assert db.run_migration(migration_statements(baseline("postgres"))) is None
        from psycopg.types.json import Jsonb

        db.insert_many("INSERT INTO artifacts (id, artifact_type, metadata) VALUES (%s, %s, %s)",
                       [(i, t, Jsonb(d)) for t, items in SAMPLES.docs.items() for i, d in items])
        before = {i: d for i, d in conn.execute("SELECT id, metadata FROM artifacts")}
        assert db.run_migration(migration_statements(migration)) is None
        after = {i: d for i, d in conn.execute("SELECT id, metadata FROM artifacts")}
        conn.execute(f"DROP SCHEMA {schema} CASCADE")
        conn.commit()
    assert set(m.effect.added_artifacts) == set(after) - set(before)
    assert set(m.effect.changed_artifacts) == {i for i in before if before[i] != after.get(i)}


# --- what runs is what `senate migrate generate` writes --------------------------------

def test_the_rehearsed_migration_is_the_generated_one(cli: Any, governed: Governed) -> None:
    g = governed
    sql = ("UPDATE artifacts SET metadata = json_set(metadata, '$.notes', 'n/a')\n"
           "WHERE artifact_type = 'experiment';\n")
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string", "default": "none"}', sql=sql)
    from senate.counting import count

    ref = count(g.git, pid).ref
    rendered = render_proposal(g.git, ref.main, ref.tip, pid, STORAGE, "sqlite")
    merge(g, pid)
    generate(cli, g)
    written = (g.path / f"migrations/sqlite/0001_{pid}.sql").read_text()

    def stable(text: str) -> list[str]:  # the approval time and its checksum differ
        return [line for line in text.splitlines()
                if "approved_at" not in line and not line.startswith("VALUES (")]

    assert stable(rendered.migration) == stable(written)
    assert [len(rendered.chain)] == [1]  # the baseline, as generation renders it
