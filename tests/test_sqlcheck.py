"""Proposer SQL read before anything runs; SQL text helpers."""

from __future__ import annotations

import sqlite3

import pytest

from senate.sqlcheck import analyse
from senate.sqltext import json_literal, literal, split_statements

SQL = """\
-- Backfill the new field.
UPDATE artifacts SET metadata = json_set(metadata, '$.a', 'x;y')
WHERE artifact_type = 'experiment';

DROP TABLE old_things;
SELEC 1;
DELETE FROM artifacts;
DELETE FROM artifacts WHERE artifact_type = 'gone';
ALTER TABLE artifacts DROP COLUMN legacy;
TRUNCATE artifacts;
UPDATE artifacts SET metadata = '{}';
COMMIT;
"""


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_destructive_statements_are_flagged_with_their_line(dialect: str) -> None:
    report = analyse(SQL, dialect)
    assert [(d.line, d.message) for d in report.destructive] == [
        (5, "DROP TABLE destroys data"),
        (7, "DELETE without WHERE deletes every row"),
        (9, "ALTER TABLE ... DROP COLUMN destroys data"),
        (10, "TRUNCATE deletes every row"),
        (11, "UPDATE without WHERE overwrites every row"),
    ]
    assert report.destructive[0].statement == "DROP TABLE old_things"


@pytest.mark.parametrize("dialect", ["sqlite", "postgres"])
def test_syntax_errors_and_transaction_control_are_errors(dialect: str) -> None:
    report = analyse(SQL, dialect)
    assert [e.line for e in report.errors] == [6, 12]
    assert report.errors[0].message.startswith("syntax error")
    assert report.errors[0].statement == "SELEC 1"
    assert "one transaction" in report.errors[1].message
    assert not report.ok


def test_error_line_inside_a_multiline_statement() -> None:
    report = analyse("SELECT 1;\n\nINSERT INTO t (a)\nVALUES (1,\n", "sqlite")
    assert report.errors and report.errors[0].line >= 3


def test_clean_sql_and_comments_only() -> None:
    assert analyse("-- nothing to do\n", "postgres") == analyse("", "sqlite")
    report = analyse(
        "UPDATE artifacts SET metadata = metadata - 'x' WHERE metadata ? 'x';", "postgres")
    assert report.ok and not report.destructive


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
