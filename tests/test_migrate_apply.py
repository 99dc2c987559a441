"""`senate migrate apply` on real engines: all or nothing, idempotent, history checked."""

from __future__ import annotations

from typing import Any

from conftest import Governed
from migkit import db_url, dump, generate, history, insert, merge, metadata, pg_url, propose, sql

FIXTURES = (db_url, pg_url)

EXP = {"title": "Ketamine and immobility", "design": "between_subject",
       "model_system": {"preparation": "in_vivo"}, "measurements": [{"variable": "x"}]}
# The backfill runs first and rewrites rows; the proposer's second statement then fails.
FAILS_HALFWAY = """\
UPDATE artifacts SET metadata = metadata WHERE artifact_type = 'experiment';
UPDATE artifacts SET metadata = '[]' WHERE artifact_type = 'experiment' AND id = 'exp-1';
"""


def apply(cli: Any, g: Governed, url: str) -> Any:
    return cli("--repo", g.path, "migrate", "apply", "--db", url, "--json")


def test_failing_migration_leaves_the_database_exactly_as_it_was(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    generate(cli, g)
    assert apply(cli, g, url).code == 0
    insert(url, "exp-1", "experiment", EXP)
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "power",
                  "--spec", '{"type": "number", "default": 0.8}', "--required",
                  sql=FAILS_HALFWAY)
    merge(g, pid)
    generate(cli, g)
    before = dump(url)
    result = apply(cli, g, url)
    assert result.code == 1
    message = result.json()["error"]["message"]
    # exp-1 exists only in this database, so the count-time dry run could not see it.
    assert f"0001_{pid}.sql" in message and "check constraint" in message.lower()
    assert dump(url) == before
    assert metadata(url, "exp-1") == EXP
    assert history(url) == ["0000_baseline"]


def test_apply_twice_applies_nothing_the_second_time(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "power",
                  "--spec", '{"type": "number", "default": 0.8}', "--required")
    merge(g, pid)
    generate(cli, g)
    first = apply(cli, g, url)
    assert first.code == 0
    assert first.json() == {"dialect": first.json()["dialect"],
                            "applied": ["0000_baseline", f"0001_{pid}"], "already": 0}
    before = dump(url)
    second = apply(cli, g, url)
    assert second.code == 0
    assert second.json()["applied"] == [] and second.json()["already"] == 2
    assert dump(url) == before


def test_history_that_does_not_match_the_chain_is_refused(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    generate(cli, g)
    assert apply(cli, g, url).code == 0
    sql(url, "UPDATE migration_history SET checksum = ? WHERE version = 0", ("0" * 64,))
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}')
    merge(g, pid)
    generate(cli, g)
    before = dump(url)
    result = apply(cli, g, url)
    assert result.code == 1
    assert "0000 is 0000_baseline (checksum 000000000000)" in result.json()["error"]["message"]
    assert dump(url) == before


def test_history_from_another_chain_is_refused(
    cli: Any, governed: Governed, db_url: str
) -> None:
    g, url = governed, db_url
    generate(cli, g)
    assert apply(cli, g, url).code == 0
    sql(url, "INSERT INTO migration_history (version, migration_id, checksum) VALUES (?, ?, ?)",
        (1, "0001_0009-elsewhere", "a" * 64))
    result = apply(cli, g, url)
    assert result.code == 1
    assert "0001 (0001_0009-elsewhere)" in result.json()["error"]["message"]


def test_bad_url_is_a_usage_error(cli: Any, governed: Governed) -> None:
    generate(cli, governed)
    result = apply(cli, governed, "mysql://x")
    assert result.code == 2
    assert "unsupported database URL" in result.json()["error"]["message"]


def test_concurrent_appliers_on_postgres_apply_once(
    cli: Any, governed: Governed, pg_url: str
) -> None:
    from concurrent.futures import ThreadPoolExecutor

    from senate.git import GitRepo
    from senate.migrate.apply import apply as run_apply

    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "notes",
                  "--spec", '{"type": "string"}')
    merge(g, pid)
    generate(cli, g)
    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(lambda _: run_apply(GitRepo.open(g.path), pg_url), range(4)))
    assert sorted(len(r.applied) for r in results) == [0, 0, 0, 2]
    assert history(pg_url) == ["0000_baseline", f"0001_{pid}"]


def test_text_output_for_people(cli: Any, governed: Governed, tmp_path: Any) -> None:
    from migkit import sqlite_url

    g = governed
    text = cli("--repo", g.path, "migrate", "generate")
    assert text.code == 0 and "migrations/sqlite/0000_baseline.sql" in text.out
    assert "nothing to generate" in cli("--repo", g.path, "migrate", "generate").out
    url = sqlite_url(tmp_path / "people.db")
    first = cli("--repo", g.path, "migrate", "apply", "--db", url)
    assert first.out.strip() == "applied 0000_baseline (0 already applied)"
    again = cli("--repo", g.path, "migrate", "apply", "--db", url)
    assert again.out.strip() == "nothing to apply (1 already applied)"
