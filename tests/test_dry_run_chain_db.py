"""The dry run's shared SQLite databases (one per migration chain, reused by every count
in the process): nothing a dry run does may outlive it, or reach another proposal's."""

from __future__ import annotations

import pytest

from senate.errors import SenateError
from senate.migrate import scratch
from senate.migrate.scratch import on_chain

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
    with pytest.raises(SenateError, match="ended the dry run's transaction"), \
            on_chain(CHAIN) as cur:
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
