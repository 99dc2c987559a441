"""All five change types on real SQLite and real PostgreSQL: artifacts before and after."""

from __future__ import annotations

import json
from typing import Any

from conftest import Governed
from migkit import (
    current_version,
    db_url,
    generate,
    history,
    insert,
    merge,
    metadata,
    pg_url,
    propose,
    sql,
)

from senate.migrate.db import connect, migration_statements

FIXTURES = (db_url, pg_url)  # used by name below: one database per engine

EXP_FULL: dict[str, Any] = {
    "title": "Optogenetic silencing during extinction",
    "objective": "Test whether PV activity is needed.",
    "design": "randomized_controlled",
    "model_system": {"preparation": "in_vivo", "species": "Mus musculus"},
    "interventions": [{"name": "ArchT illumination", "kind": "optogenetic"}],
    "measurements": [{"variable": "freezing", "value": 41.5, "unit": "%"}],
    "randomized": True,
    "blinding": "double",
}
EXP_MIN: dict[str, Any] = {
    "title": "Ketamine and immobility",
    "design": "between_subject",
    "model_system": {"preparation": "in_vivo"},
    "measurements": [{"variable": "immobility time"}],
    "randomized": False,
}
HYP: dict[str, Any] = {"statement": "Sleep clears amyloid.", "status": "proposed",
                       "proposed_by": "alice"}


def baseline_with_artifacts(cli: Any, g: Governed, url: str) -> None:
    generate(cli, g)
    apply(cli, g, url)
    insert(url, "exp-full", "experiment", EXP_FULL)
    insert(url, "exp-min", "experiment", EXP_MIN)
    insert(url, "hyp-1", "hypothesis", HYP)


def apply(cli: Any, g: Governed, url: str) -> dict[str, Any]:
    result = cli("--repo", g.path, "migrate", "apply", "--db", url, "--json")
    assert result.code == 0, result.out + result.err
    data: dict[str, Any] = result.json()
    return data


def merge_and_apply(cli: Any, g: Governed, url: str, pid: str) -> dict[str, Any]:
    merge(g, pid)
    generate(cli, g)
    return apply(cli, g, url)


def run_down(g: Governed, url: str, name: str) -> None:
    dialect = "sqlite" if url.startswith("sqlite") else "postgres"
    text = (g.path / "migrations" / dialect / f"{name}.down.sql").read_text()
    db = connect(url)
    try:
        assert db.run_migration(migration_statements(text)) is None
    finally:
        db.close()


def test_add_required_field_backfills_the_default(cli: Any, governed: Governed,
                                                  db_url: str) -> None:
    g, url = governed, db_url
    baseline_with_artifacts(cli, g, url)
    insert(url, "exp-has", "experiment", {**EXP_MIN, "power": 0.5})
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "power",
                  "--spec", '{"type": "number", "minimum": 0, "default": 0.8}', "--required")
    done = merge_and_apply(cli, g, url, pid)
    assert done["applied"] == [f"0001_{pid}"]
    assert metadata(url, "exp-full") == {**EXP_FULL, "power": 0.8}
    assert metadata(url, "exp-min") == {**EXP_MIN, "power": 0.8}
    assert metadata(url, "exp-has")["power"] == 0.5  # an existing value is kept
    assert metadata(url, "hyp-1") == HYP  # another type is untouched
    assert current_version(url, "experiment") == 2
    assert current_version(url, "hypothesis") == 1
    assert history(url) == ["0000_baseline", f"0001_{pid}"]
    run_down(g, url, f"0001_{pid}")
    assert metadata(url, "exp-full") == EXP_FULL
    assert current_version(url, "experiment") == 1
    assert history(url) == ["0000_baseline"]


def test_optional_field_without_default_leaves_artifacts(cli: Any, governed: Governed,
                                                         db_url: str) -> None:
    g, url = governed, db_url
    baseline_with_artifacts(cli, g, url)
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}')
    merge_and_apply(cli, g, url, pid)
    assert metadata(url, "exp-full") == EXP_FULL
    assert current_version(url, "experiment") == 2
    text = (g.path / "migrations/sqlite" / f"0001_{pid}.sql").read_text()
    assert "No backfill: notes is optional and has no default" in text


def test_rename_copies_then_removes(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    baseline_with_artifacts(cli, g, url)
    pid = propose(cli, g, "--type", "experiment", "--change", "rename_field",
                  "--field", "interventions", "--new-name", "manipulations")
    merge_and_apply(cli, g, url, pid)
    after = metadata(url, "exp-full")
    assert "interventions" not in after
    # An array of objects survives as JSON, not as a string of JSON.
    assert after["manipulations"] == EXP_FULL["interventions"]
    assert metadata(url, "exp-min") == EXP_MIN  # had no such field
    assert current_version(url, "experiment") == 2
    run_down(g, url, f"0001_{pid}")
    assert metadata(url, "exp-full") == EXP_FULL


def test_remove_field_drops_the_key(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    baseline_with_artifacts(cli, g, url)
    pid = propose(cli, g, "--type", "experiment", "--change", "remove_field",
                  "--field", "blinding")
    merge_and_apply(cli, g, url, pid)
    expected = {k: v for k, v in EXP_FULL.items() if k != "blinding"}
    assert metadata(url, "exp-full") == expected
    assert metadata(url, "exp-min") == EXP_MIN
    assert not (g.path / "migrations/postgres" / f"0001_{pid}.down.sql").exists()
    text = (g.path / "migrations/postgres" / f"0001_{pid}.sql").read_text()
    assert "There is no down migration: the dropped values are gone" in text


SQLITE_CONVERT = """\
UPDATE artifacts
SET metadata = json_set(metadata, '$.randomized',
    CASE json_type(metadata, '$.randomized') WHEN 'true' THEN 'yes' ELSE 'no' END)
WHERE artifact_type = 'experiment' AND json_type(metadata, '$.randomized') IN ('true', 'false');
"""
PG_CONVERT = """\
UPDATE artifacts
SET metadata = jsonb_set(metadata, '{randomized}',
    CASE WHEN (metadata ->> 'randomized')::boolean THEN '"yes"'::jsonb ELSE '"no"'::jsonb END)
WHERE artifact_type = 'experiment' AND jsonb_typeof(metadata -> 'randomized') = 'boolean';
"""


def test_modify_field_runs_the_proposers_sql_per_dialect(cli: Any, governed: Governed,
                                                         db_url: str) -> None:
    g, url = governed, db_url
    baseline_with_artifacts(cli, g, url)
    pid = propose(cli, g, "--type", "experiment", "--change", "modify_field",
                  "--field", "randomized", "--spec",
                  '{"type": "string", "enum": ["yes", "no", "unknown"]}',
                  sql_files={"migration.sqlite.sql": SQLITE_CONVERT,
                             "migration.postgres.sql": PG_CONVERT})
    merge_and_apply(cli, g, url, pid)
    assert metadata(url, "exp-full") == {**EXP_FULL, "randomized": "yes"}
    assert metadata(url, "exp-min") == {**EXP_MIN, "randomized": "no"}
    assert metadata(url, "hyp-1") == HYP
    (schema_json,), = sql(url, "SELECT schema_json FROM schema_registry WHERE "
                          "artifact_type = 'experiment' AND schema_version = 2")
    schema = json.loads(schema_json) if isinstance(schema_json, str) else schema_json
    assert schema["properties"]["randomized"]["enum"] == ["yes", "no", "unknown"]
    assert schema["x-senate-version"] == 2


SPIKE_TRAIN = json.dumps({
    "type": "object",
    "properties": {"unit_id": {"type": "string"},
                   "spike_times": {"type": "array", "items": {"type": "number"}}},
    "required": ["unit_id"],
    "additionalProperties": False,
})


def test_add_type_registers_version_one(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    baseline_with_artifacts(cli, g, url)
    assert current_version(url, "spike_train") is None
    pid = propose(cli, g, "--type", "spike_train", "--change", "add_type", "--spec", SPIKE_TRAIN)
    merge_and_apply(cli, g, url, pid)
    assert current_version(url, "spike_train") == 1
    assert metadata(url, "exp-full") == EXP_FULL
    insert(url, "st-1", "spike_train", {"unit_id": "u1", "spike_times": [0.1, 0.25]})
    assert metadata(url, "st-1")["spike_times"] == [0.1, 0.25]
    run_down(g, url, f"0001_{pid}")
    assert current_version(url, "spike_train") is None
