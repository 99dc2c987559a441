"""The dry run's shared SQLite databases (one per migration chain, reused by every count
in the process): nothing a dry run does may outlive it, or reach another proposal's."""

from __future__ import annotations

import sqlite3

import pytest

from senate.errors import SenateError
from senate.migrate import scratch
from senate.migrate.scratch import on_chain, run_statements

CHAIN = ("CREATE TABLE artifacts (id TEXT PRIMARY KEY, metadata TEXT);",
         "INSERT INTO artifacts VALUES ('a', '{}');")


def rows(chain: tuple[str, ...]) -> list[tuple[str, str]]:
    with on_chain(chain) as cur:
        assert not isinstance(cur, tuple)
        return list(cur.execute("SELECT id, metadata FROM artifacts ORDER BY id"))


@pytest.fixture(autouse=True)
def fresh() -> None:
    scratch._BUILT.clear()


def test_writes_and_temporary_objects_are_rolled_back() -> None:
    with on_chain(CHAIN) as cur:
        cur.execute("INSERT INTO artifacts VALUES ('b', '{}')")
        cur.execute("UPDATE artifacts SET metadata = 'x'")
        cur.execute("CREATE TEMP TABLE t (a INT)")
        cur.execute("CREATE TABLE extra (a INT)")
    assert rows(CHAIN) == [("a", "{}")]
    with on_chain(CHAIN) as cur:
        names = [r[0] for r in cur.execute(
            "SELECT name FROM sqlite_master UNION ALL SELECT name FROM sqlite_temp_master")]
    assert "t" not in names and "extra" not in names


def test_a_run_that_ends_the_transaction_is_refused_and_its_database_dropped() -> None:
    with on_chain(CHAIN) as cur, pytest.raises(sqlite3.DatabaseError, match="not authorized"):
        cur.execute("COMMIT")  # the authorizer refuses it first
    # and were the authorizer bypassed, the end of the transaction is still noticed
    with pytest.raises(SenateError, match="ended the dry run's transaction"), \
            on_chain(CHAIN) as cur:
        cur.connection.set_authorizer(None)
        cur.execute("COMMIT")
        cur.execute("INSERT INTO artifacts VALUES ('evil', '{}')")  # autocommit now
    assert rows(CHAIN) == [("a", "{}")]  # built again from the chain, not the leftover


def test_an_error_inside_leaves_the_database_as_it_was() -> None:
    with pytest.raises(ValueError), on_chain(CHAIN) as cur:
        cur.execute("DELETE FROM artifacts")
        raise ValueError("boom")
    assert rows(CHAIN) == [("a", "{}")]


def test_a_longer_chain_extends_a_shorter_one_as_a_replay_would() -> None:
    longer = (*CHAIN, "INSERT INTO artifacts VALUES ('c', '{\"v\": 1}');")
    assert rows(CHAIN) == [("a", "{}")]
    assert rows(longer) == [("a", "{}"), ("c", '{"v": 1}')]
    assert rows(CHAIN) == [("a", "{}")]  # the shorter one is untouched


def test_a_failing_chain_names_the_migration() -> None:
    with on_chain((*CHAIN, "INSERT INTO nowhere VALUES (1);")) as cur:
        assert isinstance(cur, tuple)
        assert cur[0] == 2 and "nowhere" in cur[1]


def test_ending_the_transaction_and_opening_another_is_refused() -> None:
    # found in review: a migration that commits and begins again would have left the
    # shared database changed for every later dry run
    with on_chain(CHAIN) as cur:
        assert not isinstance(cur, tuple)
        failed = run_statements(cur, "sqlite",
                                "INSERT INTO artifacts VALUES ('evil', '{}');\n"
                                "END TRANSACTION;\nBEGIN IMMEDIATE;\nSAVEPOINT proposal;",
                                "proposal")
        assert failed is not None and "not authorized" in failed[1]
    assert rows(CHAIN) == [("a", "{}")]


@pytest.mark.parametrize(("pragma", "probe", "fresh_value"), [
    ("PRAGMA case_sensitive_like = ON", "SELECT 'A' LIKE 'a'", 1),
    ("PRAGMA query_only = ON", "SELECT 0", 0),
    ("PRAGMA recursive_triggers = ON", "SELECT 0", 0),
    ("ATTACH DATABASE ':memory:' AS other", "SELECT 0", 0),
])
def test_no_connection_setting_outlives_a_dry_run(pragma: str, probe: str,
                                                  fresh_value: int) -> None:
    with on_chain(CHAIN) as cur:
        assert not isinstance(cur, tuple)
        with pytest.raises(sqlite3.DatabaseError, match="not authorized"):
            cur.execute(pragma)
    with on_chain(CHAIN) as cur:
        assert not isinstance(cur, tuple)
        assert cur.execute(probe).fetchone()[0] == fresh_value


def test_a_chain_that_changes_a_connection_setting_fails_to_build() -> None:
    with on_chain((*CHAIN, "PRAGMA recursive_triggers = ON;")) as cur:
        assert isinstance(cur, tuple) and cur[0] == 2 and "not authorized" in cur[1]


def test_extending_in_place_leaves_no_notes_of_the_watch_behind() -> None:
    # The watch's triggers fire while main's next migrations extend a database in place:
    # what they note is nobody's dry run. Left there, it grew by every merge an audit
    # replayed, and every insert searched it (the audit went quadratic).
    from senate.migrate.effect import NET, WRITTEN

    chain: tuple[str, ...] = CHAIN
    for n in range(5):
        chain = (*chain, f"INSERT INTO artifacts VALUES ('x{n}', '{{}}');")
        with on_chain(chain) as cur:
            assert not isinstance(cur, tuple)
            noted = [cur.execute(f"SELECT count(*) FROM temp.{t}").fetchone()[0]
                     for t in (WRITTEN, NET)]
            assert noted == [0, 0], n
            assert len(list(cur.execute("SELECT id FROM artifacts"))) == n + 2
