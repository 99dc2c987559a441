"""`senate impact`: a proposal measured on real artifacts copied into a scratch database."""

from __future__ import annotations

import copy
import json
from typing import Any

from conftest import Governed
from migkit import commit_on_main, db_url, generate, pg_url, propose, sql

from senate.migrate.verify import load_samples

FIXTURES = (db_url, pg_url)
COPIES = 40


def seeded(cli: Any, g: Governed, url: str) -> list[str]:
    """COPIES experiments from the shipped samples, every one valid, every one with design."""
    generate(cli, g)
    assert cli("--repo", g.path, "migrate", "apply", "--db", url).code == 0
    docs = [doc for _, doc in load_samples(None)["experiment"]]
    ids = []
    for i in range(COPIES):
        doc = copy.deepcopy(docs[i % len(docs)])
        ids.append(f"exp-{i:03d}")
        sql(url, "INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)",
            (ids[-1], "experiment", json.dumps(doc)))
    sql(url, "INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)",
        ("fig-1", "figure", json.dumps(load_samples(None)["figure"][0][1])))
    return ids


def impact(cli: Any, g: Governed, pid: str, url: str, *args: str) -> dict[str, Any]:
    result = cli("--repo", g.path, "impact", pid, "--db", url, *args, "--json")
    assert result.code == 0, result.out + result.err
    data: dict[str, Any] = result.json()
    return data


def test_removing_a_field_consumers_require(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    seeded(cli, g, url)
    before = sql(url, "SELECT id, metadata FROM artifacts ORDER BY id")
    pid = propose(cli, g, "--type", "experiment", "--change", "remove_field",
                  "--field", "design", "--breaking")
    data = impact(cli, g, pid, url)
    assert (data["population"], data["copied"], data["valid_before"]) == (COPIES,) * 3
    # The backfill drops `design` from every copy, so every copy stays valid under the new
    # schema: the rules' "not backward compatible" meets a measured "invalidates nothing",
    # and the data loss consumers would see is the number rewritten.
    assert (data["valid_after"], data["invalidated"], data["changed"]) == (COPIES, 0, COPIES)
    assert data["rule_backward_compatible"] is False
    assert data["measured_backward_compatible"] is True
    assert "NOT backward compatible, but it invalidates none of the 40" in data["contradiction"]
    assert sql(url, "SELECT id, metadata FROM artifacts ORDER BY id") == before  # only read
    text = cli("--repo", g.path, "impact", pid, "--db", url)
    assert text.out.startswith("!! CONTRADICTION:")


def test_adding_an_optional_field(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    seeded(cli, g, url)
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field",
                  "--field", "statistical_power", "--spec", '{"type": "number"}')
    data = impact(cli, g, pid, url)
    assert (data["valid_before"], data["valid_after"], data["invalidated"], data["changed"]) == (
        COPIES, COPIES, 0, 0)
    assert data["rule_backward_compatible"] is True and data["contradiction"] is None


def test_compatible_by_the_rules_but_the_sql_breaks_artifacts(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    seeded(cli, g, url)
    breaks = ("UPDATE artifacts SET metadata = json_set(metadata, '$.statistical_power', "
              "'high') WHERE artifact_type = 'experiment' AND id LIKE '%7';\n")
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field",
                  "--field", "statistical_power", "--spec", '{"type": "number"}',
                  sql_files={"migration.sqlite.sql": breaks,
                             "migration.postgres.sql": "SELECT 1;\n"})
    data = impact(cli, g, pid, url, "--limit", "2")
    assert data["invalidated"] == 4 and data["valid_after"] == COPIES - 4  # ids ...7
    assert data["rule_backward_compatible"] is True
    assert "backward compatible, but it invalidates 4" in data["contradiction"]
    assert len(data["invalidated_examples"]) == 2
    assert data["invalidated_examples"][0]["errors"][0]["path"] == "$.statistical_power"


def test_uniform_sample(cli: Any, governed: Governed, tmp_path: Any) -> None:
    g, url = governed, f"sqlite:///{tmp_path / 'a.db'}"
    seeded(cli, g, url)
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field",
                  "--field", "statistical_power", "--spec", '{"type": "number"}')
    data = impact(cli, g, pid, url, "--sample", "10")
    assert (data["population"], data["copied"], data["sample"]) == (COPIES, 10, 10)
    other = impact(cli, g, pid, url, "--sample", "10", "--seed", "1")
    assert other["copied"] == 10


def test_sampling_is_uniform() -> None:
    from collections import Counter

    from senate.platform.impact import sampled

    hits: Counter[str] = Counter()
    for seed in range(400):
        kept, seen = sampled(iter((str(i), "t", None) for i in range(20)), 5, seed)
        assert seen == 20 and len(kept) == 5 and len({k for k, _ in kept}) == 5
        hits.update(k for k, _ in kept)
    # each of the 20 is kept 100 times in expectation (400 * 5 / 20)
    assert all(60 < hits[str(i)] < 140 for i in range(20)), hits


def test_migration_that_fails_on_the_data(cli: Any, governed: Governed, tmp_path: Any) -> None:
    g, url = governed, f"sqlite:///{tmp_path / 'a.db'}"
    seeded(cli, g, url)
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field",
                  "--field", "statistical_power", "--spec", '{"type": "number"}',
                  sql="UPDATE artifacts SET metadata = '[]' WHERE artifact_type = "
                      "'experiment';\n")  # parses, but the table's CHECK refuses it
    data = impact(cli, g, pid, url)
    assert "CHECK constraint failed" in data["migration_error"]
    assert data["measured_backward_compatible"] is None and data["contradiction"] is None


def test_show_and_review_page_when_senate_toml_names_the_dsn(
    cli: Any, governed: Governed, tmp_path: Any, monkeypatch: Any
) -> None:
    g = governed
    url = f"sqlite:///{tmp_path / 'platform.db'}"
    seeded(cli, g, url)
    plain = open_remove(cli, g)
    assert "impact" not in cli("--repo", g.path, "show", plain, "--json").json()
    set_platform(g, 'dsn_env = "PLATFORM_DSN_FOR_TEST"\nimpact_sample = 25')
    monkeypatch.setenv("PLATFORM_DSN_FOR_TEST", url)
    pid = open_remove(cli, g)
    shown = cli("--repo", g.path, "show", pid, "--json").json()
    assert shown["impact"]["copied"] == 25 and shown["impact"]["invalidated"] == 0
    assert "CONTRADICTION" in cli("--repo", g.path, "show", pid).out

    from fastapi.testclient import TestClient

    from senate.api.app import create_app

    page = TestClient(create_app(g.path)).get(f"/senate/proposals/{pid}")
    assert page.status_code == 200
    assert 'id="contradiction"' in page.text and "invalidates none of the 25" in page.text


def set_platform(g: Governed, lines: str) -> None:
    """senate.toml's [platform] table (as `senate init` writes it) with `lines` instead."""
    text = (g.path / "senate.toml").read_text()
    assert "\nimpact_sample = 1000\n" in text
    text = text.replace("\nimpact_sample = 1000\n", f"\n{lines}\n")
    commit_on_main(g, {"senate.toml": text.encode()}, "platform dsn\n")


def open_remove(cli: Any, g: Governed) -> str:
    return propose(cli, g, "--type", "experiment", "--change", "remove_field",
                   "--field", "design", "--breaking")


def test_proposer_sql_cannot_reach_other_files(cli: Any, governed: Governed,
                                               tmp_path: Any) -> None:
    """An open proposal's SQL is anyone's text, and the review page runs it: in the
    scratch database it can neither attach the platform database nor write a file."""
    g, url = governed, f"sqlite:///{tmp_path / 'a.db'}"
    seeded(cli, g, url)
    before = sql(url, "SELECT id, metadata FROM artifacts ORDER BY id")
    target = tmp_path / "a.db"
    for i, attack in enumerate([
        f"ATTACH DATABASE '{target}' AS p;\nDELETE FROM p.artifacts;\n",
        f"VACUUM INTO '{tmp_path / 'copy.db'}';\n",
    ]):
        pid = propose(cli, g, "--type", "experiment", "--change", "add_field",
                      "--field", f"f{i}", "--spec", '{"type": "number"}',
                      sql_files={"migration.sqlite.sql": attack,
                                 "migration.postgres.sql": "SELECT 1;\n"})
        result = cli("--repo", g.path, "impact", pid, "--db", url, "--json")
        # Refused twice over: the static SQL check refuses ATTACH before anything runs
        # (exit 2), and the scratch database's authorizer would refuse it (and VACUUM
        # INTO, which attaches: test_confine_refuses_vacuum_into) if it ran.
        if result.code == 0:
            error = result.json()["migration_error"]
            assert error and ("not authorized" in error or i == 1), error
        else:
            assert result.code == 2 and "refuses" in result.json()["error"]["message"]
    assert sql(url, "SELECT id, metadata FROM artifacts ORDER BY id") == before
    assert not (tmp_path / "copy.db").exists()


def test_endless_proposer_sql_is_stopped(cli: Any, governed: Governed, tmp_path: Any,
                                         monkeypatch: Any) -> None:
    from senate.platform import impact as module

    monkeypatch.setattr(module, "MIGRATION_SECONDS", 0.5)
    g, url = governed, f"sqlite:///{tmp_path / 'a.db'}"
    seeded(cli, g, url)
    endless = ("WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) "
               "SELECT count(*) FROM n;\n")
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field",
                  "--field", "loops", "--spec", '{"type": "number"}',
                  sql_files={"migration.sqlite.sql": endless,
                             "migration.postgres.sql": "SELECT 1;\n"})
    data = impact(cli, g, pid, url)
    assert "interrupted" in data["migration_error"], data


def test_confine_refuses_vacuum_into(tmp_path: Any) -> None:
    import sqlite3

    import pytest

    from senate.migrate.db import _sqlite
    from senate.platform.impact import confine

    db = _sqlite(tmp_path / "scratch.db")
    try:
        confine(db, 5)
        with pytest.raises(sqlite3.DatabaseError, match=r"not authorized|authorization denied"):
            db.conn.execute(f"VACUUM INTO '{tmp_path / 'out.db'}'")
    finally:
        db.close()
    assert not (tmp_path / "out.db").exists()


def test_show_survives_an_unreachable_platform(cli: Any, governed: Governed,
                                               tmp_path: Any) -> None:
    g = governed
    set_platform(g, f'dsn = "sqlite:///{tmp_path}/missing/dir/p.db"')
    pid = open_remove(cli, g)
    shown = cli("--repo", g.path, "show", pid, "--json")
    assert shown.code == 0
    assert "cannot" in shown.json()["impact"]["error"]
