"""The proposer's SQL classified statement by statement (allow-list); SQL text helpers."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from senate.policy import Storage
from senate.sqlcheck import SEVERITY, classify
from senate.sqltext import json_literal, literal, split_statements

# (sql, sqlite verdict, postgres verdict, a fragment of the reason). The first seven are
# the evasions; the rest are ours. A verdict of None: that dialect is not asked.
CASES: list[tuple[str, str | None, str | None, str]] = [
    ("DELETE FROM artifacts WHERE 1 = 1", "destructive", "destructive", "DELETE removes"),
    ("DO $$ BEGIN EXECUTE 'DROP TABLE artifacts CASCADE'; END $$", None, "refused",
     "cannot read this DO"),
    ("UPDATE artifacts SET metadata = '{}' WHERE true", "destructive", "destructive",
     "no AND term artifact_type"),
    ("ALTER TABLE artifacts RENAME TO old_artifacts", "destructive", "destructive",
     "renames the table"),
    ("DROP OWNED BY postgres", None, "refused", "cannot read this DROP"),
    ("CREATE FUNCTION f() RETURNS void AS $$ DELETE FROM artifacts $$ LANGUAGE sql", None,
     "refused", "procedural code"),
    ("TRUNCATE ONLY artifacts", "refused", "destructive", ""),
    # ours
    ("UPDATE artifacts SET metadata = '{}'", "destructive", "destructive", "without WHERE"),
    ("UPDATE artifacts SET metadata = '{}' -- WHERE artifact_type = 'experiment'\n",
     "destructive", "destructive", "without WHERE"),
    ("UPDATE artifacts SET metadata = '{}' WHERE artifact_type = 'experiment' OR 1 = 1",
     "destructive", "destructive", "no AND term"),
    ("UPDATE artifacts SET metadata = '{}' WHERE artifact_type = artifact_type",
     "destructive", "destructive", "no AND term"),
    ("UPDATE artifacts SET metadata = '{}' WHERE artifact_type = 'paper'",
     "destructive", "destructive", "of type paper"),
    ("UPDATE artifacts SET artifact_type = 'paper' WHERE artifact_type = 'experiment'",
     "destructive", "destructive", "sets artifact_type"),
    ("DELETE FROM artifacts WHERE artifact_type = 'experiment'", "destructive", "destructive",
     "every DELETE"),
    ("DROP TABLE artifacts", "destructive", "destructive", "destroys"),
    ("DROP TABLE IF EXISTS artifacts CASCADE", "destructive", "destructive", "CASCADE"),
    ("DROP TABLE legacy_notes", "refused", "refused", "not a storage table"),
    ("DROP INDEX IF EXISTS artifacts_artifact_type_idx", "destructive", "destructive",
     "DROP INDEX"),
    ("ALTER TABLE artifacts RENAME COLUMN metadata TO meta", "destructive", "destructive",
     "renames a column"),
    ("ALTER TABLE artifacts DROP COLUMN created_at", "destructive", "destructive", "drops"),
    ("ALTER TABLE artifacts ALTER COLUMN metadata TYPE text", None, "destructive",
     "structure"),
    ("ALTER TABLE artifacts DISABLE TRIGGER ALL", None, "refused", "cannot read"),
    ("TRUNCATE artifacts", "destructive", "destructive", "every row"),
    ("ATTACH DATABASE 'other.db' AS other", "refused", None, "ATTACH"),
    ("DETACH DATABASE other", "refused", None, "DETACH"),
    ("PRAGMA writable_schema = 1", "refused", None, "PRAGMA"),
    ("VACUUM INTO 'copy.db'", "refused", None, "cannot read this VACUUM"),
    ("CREATE TRIGGER t AFTER INSERT ON artifacts BEGIN DELETE FROM artifacts; END",
     "refused", None, "cannot read this CREATE"),
    ("CREATE TRIGGER t AFTER INSERT ON artifacts FOR EACH ROW EXECUTE FUNCTION f()", None,
     "refused", "procedural"),
    ("CREATE OR REPLACE RULE r AS ON INSERT TO artifacts DO INSTEAD NOTHING", None,
     "refused", "cannot read"),
    ("PREPARE p AS DELETE FROM artifacts", None, "refused", "cannot read this PREPARE"),
    ("CALL cleanup()", None, "refused", "cannot read this CALL"),
    ("WITH gone AS (DELETE FROM artifacts RETURNING id) SELECT * FROM gone", None,
     "refused", "data-modifying WITH"),
    ("SELECT * INTO stash FROM artifacts", None, "refused", "stash"),
    ("SET search_path = elsewhere", None, "refused", "SET"),
    ("SET session_replication_role = replica", None, "refused", "SET"),
    ("RESET ALL", None, "refused", "cannot read"),
    ("COPY artifacts TO PROGRAM 'rm -rf /'", None, "refused", "COPY"),
    ("GRANT ALL ON artifacts TO public", None, "refused", "GRANT"),
    ("CREATE EXTENSION dblink", None, "refused", "cannot read"),
    ("CREATE TABLE stash AS SELECT * FROM artifacts", "refused", "refused", "CREATE TABLE"),
    ("CREATE VIEW v AS SELECT 1", "refused", "refused", "CREATE VIEW"),
    ("CREATE INDEX CONCURRENTLY i ON artifacts (artifact_type)", None, "refused",
     "CONCURRENTLY"),
    ("MERGE INTO artifacts a USING artifacts b ON a.id = b.id WHEN MATCHED THEN DELETE",
     None, "refused", "MERGE"),
    ("LOCK TABLE artifacts", None, "refused", "cannot read"),
    ("SELECT pg_sleep(100)", None, "refused", "pg_sleep()"),
    ("SELECT set_config('search_path', 'elsewhere', false)", None, "refused", "set_config()"),
    ("SELECT pg_read_file('/etc/passwd')", None, "refused", "pg_read_file()"),
    ("SELECT lo_import('/etc/passwd')", None, "refused", "lo_import()"),
    ("SELECT load_extension('evil')", "refused", None, "load_extension()"),
    ("SELECT nextval('s')", None, "refused", "nextval()"),
    ("UPDATE public.artifacts SET metadata = '{}' WHERE artifact_type = 'experiment'", None,
     "refused", "qualifier"),
    ("UPDATE main.artifacts SET metadata = '{}' WHERE artifact_type = 'experiment'",
     "refused", None, "qualifier"),
    ('UPDATE "Artifacts" SET metadata = \'{}\' WHERE artifact_type = \'experiment\'', None,
     "refused", "not one of the storage tables"),
    ("UPDATE artifacts SET metadata = '{}' FROM stash WHERE artifact_type = 'experiment'",
     None, "refused", "stash"),
    ("INSERT INTO schema_registry (artifact_type) VALUES ('x')", "refused", "refused",
     "Senate writes schema_registry"),
    ("DELETE FROM migration_history", "refused", "refused", "Senate writes migration_history"),
    ("INSERT OR REPLACE INTO artifacts (id, artifact_type, metadata) "
     "VALUES ('a', 'experiment', '{}')", "destructive", None, "OR REPLACE"),
    ("INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('a', 'experiment', '{}') "
     "ON CONFLICT (id) DO UPDATE SET metadata = '{}'", "destructive", "destructive",
     "DO UPDATE"),
    ("BEGIN", "refused", "refused", "transaction control"),
    ("COMMIT", "refused", "refused", "transaction control"),
    ("ROLLBACK", "refused", "refused", "transaction control"),
    ("SAVEPOINT s", "refused", "refused", "transaction control"),
    ("END", "refused", "refused", "transaction control"),
    ("START TRANSACTION", None, "refused", "transaction control"),
    ("SELEC 1", "refused", "refused", "does not parse"),
    ("UPDATE artifacts SET", "refused", "refused", "does not parse"),
    # dollar quoting and E-strings: the splitter and the parser must read the same way
    ("SELECT E'\\';' ; DROP TABLE artifacts; --'", None, "refused", ""),
    ("UPDATE artifacts SET metadata = $q$'{}'$q$ WHERE artifact_type = 'experiment' OR true",
     None, "destructive", "no AND term"),
    # allowed
    ("UPDATE artifacts SET metadata = json_set(metadata, '$.a', 'x;y') "
     "WHERE artifact_type = 'experiment'", "allowed", None, "experiment artifacts only"),
    ("UPDATE artifacts SET metadata = jsonb_set(metadata, '{a}', to_jsonb(now()), true) "
     "WHERE (artifact_type = 'experiment') AND NOT (metadata ? 'a')", None, "allowed",
     "experiment artifacts only"),
    ("UPDATE artifacts SET metadata = metadata - 'x' "
     "WHERE artifact_type IN ('experiment') AND metadata ? 'x'", None, "allowed", ""),
    ("INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('a', 'experiment', '{}')",
     "allowed", "allowed", "adds artifacts"),
    ("INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('a', 'experiment', '{}') "
     "ON CONFLICT DO NOTHING", "allowed", "allowed", "adds artifacts"),
    ("CREATE INDEX IF NOT EXISTS exp_title ON artifacts (artifact_type, id)", "allowed",
     "allowed", "index"),
    ("ALTER TABLE artifacts ADD COLUMN doi TEXT", "allowed", "allowed", "adds a column"),
    ("ALTER TABLE artifacts ADD COLUMN doi TEXT REFERENCES stash (doi)", "refused",
     "refused", "stash"),
    ("SELECT 'DROP TABLE artifacts; --' AS harmless", "allowed", "allowed", "reads only"),
    ("SELECT count(*) FROM artifacts WHERE artifact_type = 'experiment'", "allowed",
     "allowed", "reads only"),
]


def _params() -> list[Any]:
    return [pytest.param(sql, dialect, want, why, id=f"{dialect}:{sql[:40]}")
            for sql, lite, pg, why in CASES
            for dialect, want in (("sqlite", lite), ("postgres", pg)) if want is not None]


@pytest.mark.parametrize(("sql", "dialect", "want", "why"), _params())
def test_every_statement_ends_in_its_classification(
    sql: str, dialect: str, want: str, why: str
) -> None:
    report = classify(sql, dialect, Storage(), "experiment")
    worst = max(report.statements, key=lambda v: SEVERITY[v.kind])
    assert worst.kind == want, report.statements
    assert why in worst.reason


def test_the_parse_decides_not_the_text() -> None:
    # A statement hidden after a comment marker inside a string is still a statement; a
    # DROP inside a string or a comment is none.
    kinds = [v.kind for v in classify(
        "SELECT '--'; DROP TABLE artifacts; -- DROP TABLE schema_registry\n"
        "/* DELETE FROM artifacts; */ SELECT 'DELETE FROM artifacts'", "sqlite").statements]
    assert kinds == ["allowed", "destructive", "allowed"]


def test_lines_are_those_of_each_statement() -> None:
    report = classify("-- header\nSELECT 1;\n\nDROP TABLE artifacts;\nINSERT INTO t (a)\n"
                      "VALUES (1,\n", "sqlite")
    assert [(v.line, v.kind) for v in report.statements] == [
        (2, "allowed"), (4, "destructive"), (6, "refused")]  # a parse error: its own line
    assert not report.ok and len(report.destructive) == 1


def test_configured_storage_names_are_the_allowed_tables() -> None:
    storage = Storage(artifacts_table="items", type_column="kind", metadata_column="doc")
    ok = classify("UPDATE items SET doc = '{}' WHERE kind = 'experiment'", "sqlite", storage)
    assert ok.statements[0].kind == "allowed"
    other = classify("UPDATE artifacts SET doc = '{}' WHERE kind = 'x'", "sqlite", storage)
    assert other.statements[0].kind == "refused"


def test_comments_only_is_no_statement() -> None:
    assert classify("-- nothing to do\n", "postgres") == classify("", "sqlite")


def test_sqlglot_never_writes_to_the_log(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    report = classify("VACUUM INTO 'x.db'; SAVEPOINT s; DROP OWNED BY me", "postgres")
    assert [v.kind for v in report.statements] == ["refused"] * 3
    assert not [r for r in caplog.records if r.name.startswith("sqlglot")]


def test_split_respects_quotes_comments_and_dollar_quotes() -> None:
    sql = ("SELECT ';' AS a; -- c;\n/* b; */ SELECT \"x;y\";\n"
           "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql;\n"
           "SELECT 'it''s;'")
    stmts = split_statements(sql)
    assert [s.text.splitlines()[-1] for s in stmts] == [
        "SELECT ';' AS a", "/* b; */ SELECT \"x;y\"",
        "CREATE FUNCTION f() RETURNS int AS $body$ SELECT 1; $body$ LANGUAGE sql",
        "SELECT 'it''s;'"]
    assert [s.line for s in stmts] == [1, 2, 3, 4]  # a leading comment does not count


def test_literal_round_trips_through_a_real_database() -> None:
    tricky = "O'Brien; DROP TABLE x; -- \\ \" ünïcode"
    conn = sqlite3.connect(":memory:")
    assert conn.execute(f"SELECT {literal(tricky)}").fetchone() == (tricky,)
    assert conn.execute(f"SELECT json_extract({json_literal({'k': tricky})}, '$.k')"
                        ).fetchone() == (tricky,)
    assert literal(None) == "NULL" and literal(True) == "TRUE" and literal(7) == "7"
    with pytest.raises(ValueError):
        literal("nul\x00byte")


def _split_reference(sql: str) -> list[tuple[str, int]]:
    """The splitter as first written, one character at a time: the fast one must agree."""
    from senate.sqltext import DOLLAR_RE, _add, _in_word

    out: list[Any] = []
    start = i = 0
    n = len(sql)
    while i < n:
        ch = sql[i]
        if ch in ("'", '"'):
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:
                        j += 2
                        continue
                    break
                j += 1
            i = min(j + 1, n)
        elif sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
        elif sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
        elif ch == "$" and (m := DOLLAR_RE.match(sql, i)) and not _in_word(sql, i):
            end = sql.find(m.group(0), m.end())
            i = n if end < 0 else end + len(m.group(0))
        elif ch == ";":
            _add(out, sql, start, i)
            i += 1
            start = i
        else:
            i += 1
    _add(out, sql, start, n)
    return [(s.text, s.line) for s in out]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(["'", '"', "''", ";", "--", "-", "/*", "*/", "/", "$", "$$",
                                 "$q$", "a$b$", "\n", " ", "x", "SELECT 1", "é"]),
                max_size=30).map("".join))
def test_the_fast_splitter_agrees_with_the_reference(sql: str) -> None:
    assert [(s.text, s.line) for s in split_statements(sql)] == _split_reference(sql)
