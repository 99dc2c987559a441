"""`senate validate --db`: exact compliance figures on real SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from typing import Any

from conftest import Governed
from migkit import db_url, generate, pg_url, sql

from senate.migrate.verify import load_samples

FIXTURES = (db_url, pg_url)


def seeded(cli: Any, g: Governed, url: str) -> dict[str, tuple[int, int]]:
    """Every shipped sample as valid artifacts, plus a known number of broken copies per
    type; returns type -> (artifacts, invalid)."""
    generate(cli, g)
    assert cli("--repo", g.path, "migrate", "apply", "--db", url).code == 0
    rows: list[tuple[str, str, str]] = []
    expected: dict[str, tuple[int, int]] = {}
    for i, (kind, docs) in enumerate(sorted(load_samples(None).items())):
        valid = [doc for _, doc in docs] * 3
        broken = []
        required = json.loads((g.path / f"schemas/{kind}.json").read_text())["required"]
        for n in range(i % 4):  # 0..3 broken artifacts, varying by type
            doc = copy.deepcopy(valid[0])
            if n == 0:
                doc[required[0]] = None
            elif n == 1:
                doc.pop(required[0])
            else:
                doc.pop(required[-1])
            broken.append(doc)
        rows += [(f"{kind}-ok-{j}", kind, json.dumps(d)) for j, d in enumerate(valid)]
        rows += [(f"{kind}-bad-{j}", kind, json.dumps(d)) for j, d in enumerate(broken)]
        expected[kind] = (len(valid) + len(broken), len(broken))
    for row in rows:
        sql(url, "INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)", row)
    return expected


def validate(cli: Any, g: Governed, url: str, *args: str) -> Any:
    return cli("--repo", g.path, "validate", "--db", url, *args, "--json")


def test_compliance_figures_are_exact(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    expected = seeded(cli, g, url)
    result = validate(cli, g, url, "--mode", "warn")
    assert result.code == 0, result.out
    data = result.json()
    got = {t["type"]: (t["artifacts"], t["invalid"]) for t in data["types"]}
    assert got == expected
    for t in data["types"]:
        artifacts, invalid = expected[t["type"]]
        assert t["valid"] == artifacts - invalid
        assert t["compliance"] == round(100 * (artifacts - invalid) / artifacts, 2)
        assert len(t["invalid_examples"]) == invalid
        for ex in t["invalid_examples"]:
            assert "-bad-" in ex["id"]
            required = json.loads((g.path / f"schemas/{t['type']}.json").read_text())[
                "required"]
            assert ex["errors"][0]["path"] in ("$", f"$.{required[0]}"), ex
    total_bad = sum(b for _, b in expected.values())
    assert data["totals"]["invalid"] == total_bad and total_bad > 0


def test_modes_and_exit_codes(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    seeded(cli, g, url)
    strict = validate(cli, g, url)
    assert strict.code == 1 and strict.json()["ok"] is False
    skip = validate(cli, g, url, "--mode", "skip")
    assert skip.code == 0
    assert all(t["invalid"] == 0 and t["valid"] == 0 for t in skip.json()["types"])
    clean = validate(cli, g, url, "--type", "analysis", "--mode", "strict")  # 0 broken
    assert clean.code == 0, clean.out
    assert [t["type"] for t in clean.json()["types"]] == ["analysis"]


def test_json_path_of_a_nested_error(cli: Any, governed: Governed, db_url: str) -> None:
    g, url = governed, db_url
    generate(cli, g)
    assert cli("--repo", g.path, "migrate", "apply", "--db", url).code == 0
    (_, doc), *_ = load_samples(None)["experiment"]
    bad = copy.deepcopy(doc)
    bad["measurements"] = [{"variable": 7}]
    sql(url, "INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)",
        ("exp-bad", "experiment", json.dumps(bad)))
    data = validate(cli, g, url, "--type", "experiment").json()
    (t,) = data["types"]
    (ex,) = t["invalid_examples"]
    assert ex["errors"][0]["path"] == "$.measurements[0].variable"


def test_unknown_type_counts_as_invalid(cli: Any, governed: Governed, tmp_path: Any) -> None:
    g, url = governed, f"sqlite:///{tmp_path / 'a.db'}"
    generate(cli, g)
    assert cli("--repo", g.path, "migrate", "apply", "--db", url).code == 0
    sql(url, "INSERT INTO artifacts (id, artifact_type, metadata) VALUES ('x', 'alien', '{}')")
    data = validate(cli, g, url).json()
    assert data["types"] == [{"type": "alien", "schema_version": None, "artifacts": 1,
                              "valid": 0, "invalid": 1, "compliance": 0.0,
                              "invalid_examples": [{"id": "x", "errors": [
                                  {"path": "$", "message": "no schema for this artifact type",
                                   "schema_path": ""}]}]}]


def test_usage_errors(cli: Any, governed: Governed, tmp_path: Any) -> None:
    g = governed
    both = cli("--repo", g.path, "validate", "experiment", "--db", "sqlite:///x.db", "--json")
    assert both.code == 2 and "give no TYPE or FILES" in both.json()["error"]["message"]
    neither = cli("--repo", g.path, "validate", "--json")
    assert neither.code == 2 and "missing TYPE and FILES" in neither.json()["error"]["message"]
    missing = cli("--repo", g.path, "validate", "--db", f"sqlite:///{tmp_path / 'n.db'}",
                  "--json")
    assert missing.code == 1 and "cannot read artifacts" in missing.json()["error"]["message"]


def test_file_validation_still_works(cli: Any, governed: Governed, tmp_path: Any) -> None:
    (_, doc), *_ = load_samples(None)["experiment"]
    path = tmp_path / "e.json"
    path.write_text(json.dumps(doc))
    result = cli("--repo", governed.path, "validate", "experiment", path, "--json")
    assert result.code == 0 and result.json()["valid"] is True
