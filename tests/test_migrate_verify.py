"""`senate migrate verify`: the whole chain on a fresh real database with sample artifacts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import Governed
from migkit import PG_ADMIN, commit_on_main, generate, merge, pg_reachable, propose

from senate.migrate.chain import ChainError, render_sum, verified_chain

SPIKE_TRAIN = json.dumps({
    "type": "object",
    "properties": {"unit_id": {"type": "string"},
                   "spike_times": {"type": "array", "items": {"type": "number"}}},
    "required": ["unit_id"], "additionalProperties": False,
})


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "sqlite":
        return ["--dialect", "sqlite"]
    if not pg_reachable():
        pytest.skip(f"no PostgreSQL server reachable at {PG_ADMIN}")
    return ["--dialect", "postgres", "--dsn", PG_ADMIN]


def verify(cli: Any, g: Governed, *args: str) -> Any:
    return cli("--repo", g.path, "migrate", "verify", *args, "--json")


def test_chain_of_every_change_type_verifies(cli: Any, governed: Governed,
                                             engine: list[str]) -> None:
    g = governed
    changes = [
        ("experiment", "add_field", "--field", "power",
         "--spec", '{"type": "number", "default": 0.8}', "--required"),
        ("experiment", "rename_field", "--field", "interventions", "--new-name", "manipulations"),
        ("experiment", "remove_field", "--field", "blinding"),
        ("hypothesis", "modify_field", "--field", "title",
         "--spec", '{"type": "string", "maxLength": 400}'),
        ("spike_train", "add_type", "--spec", SPIKE_TRAIN),
    ]
    pids = []
    for kind, change, *rest in changes:  # one after the other, each on the merged main
        pids.append(propose(cli, g, "--type", kind, "--change", change, *rest))
        merge(g, pids[-1])
    generate(cli, g)
    result = verify(cli, g, *engine)
    data = result.json()
    assert result.code == 0, result.out
    assert data["ok"] and data["failures"] == []
    shipped = sum(1 for _ in (Path(__file__).parents[1] / "tools/senate/data/samples")
                  .glob("*/*.json"))
    assert [s["migration"] for s in data["steps"]] == [
        "0000_baseline", *[f"{i:04d}_{p}" for i, p in enumerate(pids, 1)]]
    assert all(s["artifacts"] == shipped for s in data["steps"])
    if engine[1] == "postgres":
        assert any("0000_baseline.sql" in line for line in data["lint"]), data["lint"]
        text = cli("--repo", g.path, "migrate", "verify", *engine)
        assert "squawk findings:" in text.out


def test_samples_that_break_name_the_migration_and_artifact(
    cli: Any, governed: Governed, engine: list[str]
) -> None:
    g = governed
    # Tightening a field without converting the data: the shipped samples no longer fit.
    pid = propose(cli, g, "--type", "experiment", "--change", "modify_field",
                  "--field", "title", "--spec", '{"type": "string", "maxLength": 5}')
    merge(g, pid)
    generate(cli, g)
    result = verify(cli, g, *engine)
    assert result.code == 1
    data = result.json()
    assert [s["migration"] for s in data["steps"]] == ["0000_baseline"]
    failure = data["failures"][0]
    assert failure["migration"] == f"0001_{pid}"
    assert failure["artifact"] == "sample:experiment/minimal"
    assert "is too long" in failure["message"]


BREAKS_ONE = ("UPDATE artifacts SET metadata = '[]'\n"
              "WHERE artifact_type = 'experiment' AND id = 'extra:experiment/odd'")


def test_a_failing_statement_is_named(
    cli: Any, governed: Governed, engine: list[str], tmp_path: Path
) -> None:
    # The count-time dry run (shipped samples) passes; verify, given one more sample that
    # the statement breaks, fails on it and names the statement.
    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}',
                  sql="UPDATE artifacts SET metadata = metadata WHERE artifact_type = "
                      f"'experiment';\n\n{BREAKS_ONE};\n")
    merge(g, pid)
    generate(cli, g)
    extra = tmp_path / "more" / "experiment"
    extra.mkdir(parents=True)
    (extra / "odd.json").write_text((Path(__file__).parent.parent / "tools/senate/data/samples"
                                     / "experiment/minimal.json").read_text())
    result = verify(cli, g, *engine, "--samples", str(tmp_path / "more"))
    assert result.code == 1
    failure = result.json()["failures"][0]
    assert failure["migration"] == f"0001_{pid}"
    assert failure["statement"] == BREAKS_ONE
    assert "check constraint" in failure["message"].lower()
    text = cli("--repo", g.path, "migrate", "verify", *engine, "--samples", str(tmp_path / "more"))
    assert f"FAIL migration 0001_{pid}, line" in text.out


def test_extra_samples_are_loaded_once_their_type_exists(
    cli: Any, governed: Governed, tmp_path: Path
) -> None:
    g = governed
    pid = propose(cli, g, "--type", "spike_train", "--change", "add_type", "--spec", SPIKE_TRAIN)
    merge(g, pid)
    generate(cli, g)
    extra = tmp_path / "samples" / "spike_train"
    extra.mkdir(parents=True)
    (extra / "good.json").write_text('{"unit_id": "u1", "spike_times": [0.5]}')
    result = verify(cli, g, "--samples", str(tmp_path / "samples"))
    assert result.code == 0, result.out
    steps = result.json()["steps"]
    assert steps[1]["artifacts"] == steps[0]["artifacts"] + 1
    assert result.json()["unloaded_sample_types"] == []
    (tmp_path / "samples" / "unknown_type").mkdir()
    (tmp_path / "samples" / "unknown_type" / "x.json").write_text("{}")
    result = verify(cli, g, "--samples", str(tmp_path / "samples"))
    assert result.code == 0 and result.json()["unloaded_sample_types"] == ["unknown_type"]
    (tmp_path / "samples" / "unknown_type" / "x.json").unlink()
    (tmp_path / "samples" / "unknown_type").rmdir()
    (extra / "bad.json").write_text('{"spike_times": "soon"}')
    failure = verify(cli, g, "--samples", str(tmp_path / "samples")).json()["failures"][0]
    assert failure["artifact"] == "extra:spike_train/bad"
    assert failure["migration"] == f"0001_{pid}"


def test_postgres_needs_a_dsn(cli: Any, governed: Governed) -> None:
    generate(cli, governed)
    result = verify(cli, governed, "--dialect", "postgres")
    assert result.code == 2 and "--dsn" in result.json()["error"]["message"]


def test_an_edited_body_with_a_rewritten_sum_is_caught(cli: Any, governed: Governed) -> None:
    g = governed
    generate(cli, g)
    folder = g.path / "migrations/sqlite"
    text = (folder / "0000_baseline.sql").read_text()
    edited = text.replace("CREATE INDEX", "-- no index\nCREATE INDEX", 1).encode()
    commit_on_main(g, {"migrations/sqlite/0000_baseline.sql": edited,
                       "migrations/sqlite/senate.sum": render_sum({"0000_baseline.sql": edited})},
                   "edit and re-sum\n")
    result = verify(cli, g)
    assert result.code == 1
    assert "0000_baseline.sql: its recorded checksum does not match" in (
        result.json()["error"]["message"])
    with pytest.raises(ChainError):
        verified_chain("sqlite", {"0000_baseline.sql": edited},
                       render_sum({"0000_baseline.sql": edited}))
