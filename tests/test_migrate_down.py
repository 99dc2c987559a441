"""`senate migrate down` and `apply --dry-run` on real SQLite and real PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import Governed
from migkit import (
    current_version,
    db_url,
    dump,
    generate,
    history,
    insert,
    merge,
    metadata,
    pg_url,
    propose,
    sql,
    sqlite_url,
)
from test_migrate_changes import EXP_FULL, EXP_MIN, HYP, SPIKE_TRAIN

from senate.errors import UsageError
from senate.migrate.apply import Chain
from senate.migrate.chain import Migration
from senate.migrate.down import NotReversible, irreversible, plan_down
from senate.policy import Storage

FIXTURES = (db_url, pg_url)
CLOCK = "2000-01-01 00:00:00"


def run(cli: Any, g: Governed, *args: str) -> Any:
    return cli("--repo", g.path, "migrate", *args, "--json")


def ok(cli: Any, g: Governed, *args: str) -> dict[str, Any]:
    result = run(cli, g, *args)
    assert result.code == 0, result.out + result.err
    data: dict[str, Any] = result.json()
    return data


def clockless_dump(url: str) -> str:
    """The dump with the two columns that record WHEN a step ran set to one instant:
    re-applying a migration legitimately records a new time, and nothing else may differ.
    On PostgreSQL the tables are rewritten in primary-key order first, since pg_dump lists
    rows in their physical order and an UPDATE moves a row to the end of the heap."""
    sql(url, f"UPDATE migration_history SET applied_at = '{CLOCK}'")
    sql(url, f"UPDATE schema_registry SET created_at = '{CLOCK}'")
    if not url.startswith("sqlite"):
        for table in ("artifacts", "schema_registry", "migration_history"):
            sql(url, f"CLUSTER {table} USING {table}_pkey")
    return dump(url)


def three_changes(cli: Any, g: Governed, url: str) -> list[str]:
    """Baseline with artifacts, then add_field (backfilled), rename_field, add_type."""
    generate(cli, g)
    ok(cli, g, "apply", "--db", url)
    insert(url, "exp-full", "experiment", EXP_FULL)
    insert(url, "exp-min", "experiment", EXP_MIN)
    insert(url, "hyp-1", "hypothesis", HYP)
    changes = [
        ("--type", "experiment", "--change", "add_field", "--field", "power",
         "--spec", '{"type": "number", "minimum": 0, "default": 0.8}', "--required"),
        ("--type", "experiment", "--change", "rename_field",
         "--field", "interventions", "--new-name", "manipulations"),
        ("--type", "spike_train", "--change", "add_type", "--spec", SPIKE_TRAIN),
    ]
    pids = []
    for args in changes:  # one after the other: each is based on the previous merge
        pids.append(propose(cli, g, *args))
        merge(g, pids[-1])
    generate(cli, g)
    ok(cli, g, "apply", "--db", url)
    insert(url, "st-1", "spike_train", {"unit_id": "u1", "spike_times": [0.1, 0.25]})
    return pids


def test_down_then_apply_restores_the_same_dump(cli: Any, governed: Governed,
                                                db_url: str) -> None:
    g, url = governed, db_url
    pids = three_changes(cli, g, url)
    before = clockless_dump(url)
    assert metadata(url, "exp-full")["manipulations"] == EXP_FULL["interventions"]

    done = ok(cli, g, "down", "--db", url, "--to", "0")
    assert done["reverted"] == [f"0003_{pids[2]}", f"0002_{pids[1]}", f"0001_{pids[0]}"]
    assert done["version"] == 0
    assert history(url) == ["0000_baseline"]
    assert metadata(url, "exp-full") == EXP_FULL  # power removed, interventions back
    assert current_version(url, "experiment") == 1
    assert current_version(url, "spike_train") is None
    assert metadata(url, "st-1")["unit_id"] == "u1"  # artifacts of a removed type are kept

    again = ok(cli, g, "apply", "--db", url)
    assert again["applied"] == [f"0001_{pids[0]}", f"0002_{pids[1]}", f"0003_{pids[2]}"]
    assert clockless_dump(url) == before


def test_down_without_to_undoes_only_the_last_step(cli: Any, governed: Governed,
                                                   db_url: str) -> None:
    g, url = governed, db_url
    pids = three_changes(cli, g, url)
    done = ok(cli, g, "down", "--db", url)
    assert done == {"dialect": done["dialect"], "reverted": [f"0003_{pids[2]}"], "version": 2}
    assert current_version(url, "experiment") == 3
    assert current_version(url, "spike_train") is None


def test_down_refuses_a_removed_field_before_running_anything(cli: Any, governed: Governed,
                                                              db_url: str) -> None:
    g, url = governed, db_url
    generate(cli, g)
    ok(cli, g, "apply", "--db", url)
    insert(url, "exp-full", "experiment", EXP_FULL)
    removed = propose(cli, g, "--type", "experiment", "--change", "remove_field",
                      "--field", "blinding")
    merge(g, removed)
    added = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                    "--spec", '{"type": "string"}')
    merge(g, added)
    generate(cli, g)
    ok(cli, g, "apply", "--db", url)
    before = dump(url)

    result = run(cli, g, "down", "--db", url, "--to", "0")
    assert result.code == 1
    error = result.json()["error"]
    assert error["kind"] == "failed" and error["reason"] == "not_reversible"
    assert f"0001_{removed}.sql" in error["message"]
    assert "the dropped values are gone and cannot be restored" in error["message"]
    assert "--to 0001" in error["hint"]
    assert dump(url) == before  # not even the reversible step 0002 ran

    assert ok(cli, g, "down", "--db", url, "--to", "1")["reverted"] == [f"0002_{added}"]


def test_down_refuses_a_step_with_the_proposers_own_sql(cli: Any, governed: Governed,
                                                        db_url: str) -> None:
    g, url = governed, db_url
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}',
                  sql="UPDATE artifacts SET metadata = metadata WHERE artifact_type = 'x';")
    merge(g, pid)
    generate(cli, g)
    ok(cli, g, "apply", "--db", url)
    before = dump(url)
    result = run(cli, g, "down", "--db", url)
    assert result.code == 1
    assert "proposer's own SQL" in result.json()["error"]["message"]
    assert f"proposals/{pid}/migration.sql" in result.json()["error"]["message"]
    assert dump(url) == before


def test_down_refuses_the_baseline_and_an_empty_database(cli: Any, governed: Governed,
                                                         tmp_path: Path) -> None:
    g, url = governed, sqlite_url(tmp_path / "a.db")
    generate(cli, g)
    missing = run(cli, g, "down", "--db", url)
    assert missing.code == 2 and "there is no database" in missing.json()["error"]["message"]
    assert not (tmp_path / "a.db").exists()
    sql(url, "SELECT 1")  # an empty database file
    empty = run(cli, g, "down", "--db", url)
    assert empty.code == 2 and "no migration is applied" in empty.json()["error"]["message"]
    ok(cli, g, "apply", "--db", url)
    before = dump(url)
    baseline = run(cli, g, "down", "--db", url)
    assert baseline.code == 1 and "0000 cannot be undone" in baseline.json()["error"]["message"]
    ahead = run(cli, g, "down", "--db", url, "--to", "3")
    assert ahead.code == 2 and "ahead of the database" in ahead.json()["error"]["message"]
    assert dump(url) == before


def test_down_refuses_a_database_from_another_chain(cli: Any, governed: Governed,
                                                    db_url: str) -> None:
    g, url = governed, db_url
    three_changes(cli, g, url)
    sql(url, "UPDATE migration_history SET checksum = ? WHERE version = 2", ("0" * 64,))
    before = dump(url)
    result = run(cli, g, "down", "--db", url)
    error = result.json()["error"]
    assert result.code == 1 and (error["kind"], error["reason"]) == ("failed", "history_mismatch")
    assert dump(url) == before


def test_dry_run_reports_the_change_and_touches_nothing(cli: Any, governed: Governed,
                                                        db_url: str) -> None:
    g, url = governed, db_url
    generate(cli, g)
    ok(cli, g, "apply", "--db", url)
    insert(url, "exp-full", "experiment", EXP_FULL)
    insert(url, "exp-min", "experiment", EXP_MIN)
    insert(url, "hyp-1", "hypothesis", HYP)
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "power",
                  "--spec", '{"type": "number", "minimum": 0, "default": 0.8}', "--required")
    merge(g, pid)
    generate(cli, g)
    path = Path(url[len("sqlite:///"):]) if url.startswith("sqlite") else None
    raw = path.read_bytes() if path else b""
    before = dump(url)

    report = ok(cli, g, "apply", "--db", url, "--dry-run")
    assert report["dry_run"] is True and report["ok"] is True
    assert report["would_apply"] == [f"0001_{pid}"] and report["already"] == 1
    assert report["schema_versions"] == {"experiment": {"before": 1, "after": 2}}
    assert report["artifacts_changed"] == 2
    assert report["artifacts_changed_by_type"] == {"experiment": ["exp-full", "exp-min"]}
    assert report["rows"]["migration_history"] == {"before": 1, "after": 2}
    assert report["rows"]["schema_registry"]["after"] == report["rows"]["schema_registry"][
        "before"] + 1
    assert dump(url) == before
    if path is not None:
        assert path.read_bytes() == raw
    assert history(url) == ["0000_baseline"]


def test_dry_run_on_a_database_that_does_not_exist_creates_nothing(
    cli: Any, governed: Governed, tmp_path: Path
) -> None:
    g = governed
    generate(cli, g)
    path = tmp_path / "none.db"
    report = ok(cli, g, "apply", "--db", sqlite_url(path), "--dry-run")
    assert report["would_apply"] == ["0000_baseline"]
    assert "artifacts" in report["tables_created"]
    assert not path.exists()


def test_dry_run_reports_a_failing_migration_and_leaves_the_database(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    generate(cli, g)
    ok(cli, g, "apply", "--db", url)
    insert(url, "exp-min", "experiment", EXP_MIN)
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "power",
                  "--spec", '{"type": "number", "default": 0.8}', "--required",
                  sql="INSERT INTO no_such_table (x) VALUES (1);")
    merge(g, pid, require_approved=False)  # the count blocks it now; apply must still cope
    generate(cli, g)
    before = dump(url)
    result = run(cli, g, "apply", "--db", url, "--dry-run")
    assert result.code == 1
    assert f"0001_{pid}.sql would fail" in result.json()["failure"]
    assert "no_such_table" in result.json()["failure"]
    assert dump(url) == before


# -- the rules, table-tested on plain values ------------------------------------------
def mig(version: int, body: str = "-- (none)", extra: str = "") -> Migration:
    text = (f"-- {extra}\n-- 2. The proposer's SQL (proposals/p/migration.sql).\n{body}\n\n"
            "-- 3. Register\n")
    return Migration(version, f"{version:04d}_p{version}", text)


NO_DOWN = "There is no down migration: the dropped values are gone and cannot be restored."


@pytest.mark.parametrize("migration, down, expected", [
    (mig(0), "x", "the baseline creates the artifact store"),
    (mig(1), "x", None),
    (mig(1, extra=NO_DOWN), None, "no down migration was generated: the dropped values"),
    (mig(1), None, "no down migration was generated for it"),
    (mig(1, body="UPDATE t SET a = 1;"), "x", "proposer's own SQL (proposals/p/migration.sql)"),
])
def test_irreversible(migration: Migration, down: str | None, expected: str | None) -> None:
    why = irreversible(migration, down)
    assert (why is None) if expected is None else (why is not None and expected in why)


def chain(*migrations: Migration, downs: tuple[int, ...] = ()) -> Chain:
    return Chain("sqlite", Storage(), migrations,
                 {m.name: "DELETE" for m in migrations if m.version in downs})


@pytest.mark.parametrize("applied, to, downs, steps, error", [
    (3, None, (1, 2), [2], None),
    (3, 0, (1, 2), [2, 1], None),
    (3, 2, (1, 2), [], None),
    (3, 0, (2,), None, "0001_p1.sql"),
    (3, -1, (1, 2), None, "0000 cannot be undone"),
    (3, 5, (1, 2), None, "ahead of the database"),
    (0, None, (), None, "no migration is applied"),
])
def test_plan_down(applied: int, to: int | None, downs: tuple[int, ...],
                   steps: list[int] | None, error: str | None) -> None:
    c = chain(mig(0), mig(1), mig(2), downs=downs)
    if error is not None:
        with pytest.raises((NotReversible, UsageError), match=error):
            plan_down(c, applied, to)
        return
    assert [s.migration.version for s in plan_down(c, applied, to)] == steps
