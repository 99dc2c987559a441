from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import Governed, open_add_field

OLD = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "properties": {"name": {"type": "string"}, "n": {"type": "integer"}},
    "required": ["name"],
    "additionalProperties": False,
}


def write(tmp_path: Path, name: str, schema: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(schema))
    return path


def test_identical_after_reordering(tmp_path: Path, cli: Any) -> None:
    reordered = dict(reversed(list(OLD.items())))
    r = cli("--repo", tmp_path, "diff", write(tmp_path, "a.json", OLD),
            write(tmp_path, "b.json", reordered), "--json")
    assert r.code == 0
    data = r.json()
    assert data["changes"] == []
    assert data["backward_compatible"] is True and data["forward_compatible"] is True


def test_breaking_change_reported(tmp_path: Path, cli: Any) -> None:
    new = json.loads(json.dumps(OLD))
    new["required"] = ["name", "n"]
    r = cli("--repo", tmp_path, "diff", write(tmp_path, "a.json", OLD),
            write(tmp_path, "b.json", new), "--json")
    assert r.code == 0  # whatever the verdict
    data = r.json()
    assert data["backward_compatible"] is False and data["compatible"] is False
    [change] = [c for c in data["changes"] if c["breaks"] != "none"]
    assert set(change) == {"kind", "path", "breaks", "explanation"}
    assert change["breaks"] in ("backward", "both")
    text = cli("--repo", tmp_path, "diff", tmp_path / "a.json", tmp_path / "b.json")
    assert "NOT compatible" in text.out


def test_unreadable_or_invalid_schema_exits_2(tmp_path: Path, cli: Any) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    good = write(tmp_path, "a.json", OLD)
    r = cli("--repo", tmp_path, "diff", broken, good)
    assert r.code == 2 and "not valid JSON" in r.err
    invalid = write(tmp_path, "invalid.json", {"type": "banana"})
    r = cli("--repo", tmp_path, "diff", good, invalid)
    assert r.code == 2 and "not a valid JSON Schema" in r.err
    r = cli("--repo", tmp_path, "diff", good, "no-such-thing")
    assert r.code == 2


def test_type_at_rev(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    r = cli("--repo", governed.path, "diff", "experiment@main",
            f"experiment@proposal/{pid}", "--json")
    assert r.code == 0
    data = r.json()
    assert data["backward_compatible"] is True
    assert any("statistical_power" in c["path"] for c in data["changes"])
    assert data["mode"] == "backward" and data["policy"] == "lenient"


def test_samples_disagreeing_with_the_verdict(tmp_path: Path, cli: Any) -> None:
    # the old schema is open, so a lenient verdict calls adding a typed property compatible;
    # a sample already holding that key with another type shows the verdict wrong
    old = {"type": "object", "properties": {"name": {"type": "string"}}}
    new = {"type": "object", "properties": {"name": {"type": "string"},
                                            "age": {"type": "integer"}}}
    samples = tmp_path / "samples"
    samples.mkdir()
    (samples / "ok.json").write_text('{"name": "a"}')
    (samples / "clash.json").write_text('{"name": "a", "age": "old"}')
    r = cli("--repo", tmp_path, "diff", write(tmp_path, "o.json", old),
            write(tmp_path, "n.json", new), "--samples", samples, "--policy", "lenient",
            "--json")
    data = r.json()
    assert data["backward_compatible"] is True
    assert [m["document"] for m in data["sample_mismatches"]] == [str(samples / "clash.json")]
    strict = cli("--repo", tmp_path, "diff", tmp_path / "o.json", tmp_path / "n.json",
                 "--samples", samples, "--policy", "strict", "--json").json()
    assert strict["backward_compatible"] is False and strict["sample_mismatches"] == []


def test_show_renders_the_semantic_diff(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    r = cli("--repo", governed.path, "show", pid)
    assert "Semantic diff" in r.out and "statistical_power" in r.out
    data = cli("--repo", governed.path, "show", pid, "--json").json()
    assert data["compatibility"]["backward_compatible"] is True
    assert data["compatibility"]["changes"]


def test_each_draft_validated_against_its_own_metaschema(tmp_path: Path, cli: Any) -> None:
    # A draft-07 tuple and a draft-04 boolean exclusiveMaximum are valid in their drafts.
    old = {"$schema": "http://json-schema.org/draft-07/schema#", "type": "array",
           "items": [{"type": "string"}], "additionalItems": False}
    new = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array",
           "prefixItems": [{"type": "string"}], "items": False}
    r = cli("--repo", tmp_path, "diff", write(tmp_path, "a.json", old),
            write(tmp_path, "b.json", new), "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert data["dialects"] == {"old": "draft-07", "new": "2020-12"}
    assert data["backward_compatible"] is True and data["forward_compatible"] is True
    d04 = {"$schema": "http://json-schema.org/draft-04/schema#", "maximum": 5,
           "exclusiveMaximum": True}
    r = cli("--repo", tmp_path, "diff", write(tmp_path, "c.json", d04),
            write(tmp_path, "d.json", d04))
    assert r.code == 0 and "dialect: draft-04" in r.out
    # The same tuple without $schema is read as 2020-12, where it is invalid: exit 2.
    bare = {k: v for k, v in old.items() if k != "$schema"}
    r = cli("--repo", tmp_path, "diff", write(tmp_path, "e.json", bare),
            write(tmp_path, "f.json", bare))
    assert r.code == 2 and "2020-12" in r.err
    r = cli("--repo", tmp_path, "diff", write(tmp_path, "e.json", bare),
            write(tmp_path, "f.json", bare), "--dialect", "draft-07", "--json")
    assert r.code == 0 and r.json()["default_dialect"] == "draft-07"


def test_lenient_assumption_printed(tmp_path: Path, cli: Any) -> None:
    old = {"type": "object"}
    new = {"type": "object", "properties": {"note": {"type": "string"}}}
    args = ("--repo", tmp_path, "diff", write(tmp_path, "a.json", old),
            write(tmp_path, "b.json", new))
    text = cli(*args, "--policy", "lenient")
    assert text.code == 0 and "assumes: /properties/note:" in text.out
    data = cli(*args, "--policy", "lenient", "--json").json()
    assert data["backward_compatible"] is True and len(data["assumptions"]) == 1
    strict = cli(*args, "--policy", "strict", "--json").json()
    assert strict["backward_compatible"] is False and strict["assumptions"] == []
