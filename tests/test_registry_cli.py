from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from conftest import Governed, open_add_field


def test_schema_list(governed: Governed, cli: Any) -> None:
    result = cli("--repo", governed.path, "schema", "list", "--json")
    assert result.code == 0
    rows = result.json()["schemas"]
    assert len(rows) == 18
    assert {"type", "version", "title"} <= set(rows[0])
    assert all(r["version"] >= 1 for r in rows)
    text = cli("--repo", governed.path, "schema", "list")
    assert "experiment" in text.out


def test_schema_show_has_history(governed: Governed, cli: Any) -> None:
    result = cli("--repo", governed.path, "schema", "show", "experiment", "--json")
    assert result.code == 0
    data = result.json()
    assert data["type"] == "experiment"
    assert data["schema"]["$schema"].endswith("2020-12/schema")
    [entry] = data["history"]
    assert entry["version"] == data["version"]
    assert entry["proposal"] is None
    head = subprocess.run(["git", "-C", str(governed.path), "rev-parse", "main"],
                          capture_output=True, text=True, check=True).stdout.strip()
    assert entry["commit"] == head


def test_schema_show_unknown_type(governed: Governed, cli: Any) -> None:
    result = cli("--repo", governed.path, "schema", "show", "spaceship")
    assert result.code == 2 and "unknown artifact type" in result.err
    result = cli("--repo", governed.path, "schema", "show", "../senate")
    assert result.code == 2 and "not a valid name" in result.err


def test_schema_show_at_a_proposal_branch(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    result = cli("--repo", governed.path, "schema", "show", "experiment",
                 "--rev", f"proposal/{pid}", "--json")
    assert "statistical_power" in result.json()["schema"]["properties"]


def _sample(kind: str) -> Path:
    folder = Path(__file__).resolve().parents[1] / "tools/senate/data/samples" / kind
    return sorted(folder.glob("*.json"))[0]


def test_validate_good_and_bad_documents(governed: Governed, cli: Any, tmp_path: Path) -> None:
    good = _sample("experiment")
    bad_doc = json.loads(good.read_text())
    bad_doc["extraction_confidence"] = 7
    bad_doc["not_a_field"] = True
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(bad_doc))
    ok = cli("--repo", governed.path, "validate", "experiment", good)
    assert ok.code == 0, ok.out
    result = cli("--repo", governed.path, "validate", "experiment", good, bad, "--json")
    assert result.code == 1
    data = result.json()
    assert data["valid"] is False
    first, second = data["documents"]
    assert first["valid"] is True and second["valid"] is False
    paths = [e["path"] for e in second["errors"]]
    assert "$.extraction_confidence" in paths
    text = cli("--repo", governed.path, "validate", "experiment", bad)
    assert text.code == 1 and "$.extraction_confidence" in text.out


def test_validate_unreadable_document(governed: Governed, cli: Any, tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    result = cli("--repo", governed.path, "validate", "experiment", broken)
    assert result.code == 2 and "not valid JSON" in result.err


def test_not_a_repository(tmp_path: Path, cli: Any) -> None:
    result = cli("--repo", tmp_path, "schema", "list")
    assert result.code == 2 and "not a git repository" in result.err
    result = cli("--repo", tmp_path, "schema", "list", "--json")
    assert result.json()["error"]["kind"] == "not_found"
