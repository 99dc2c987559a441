from __future__ import annotations

import hashlib
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import ADD_FIELD_SPEC, RATIONALE, Governed, open_add_field, propose_args

from senate.cli.main import run


def git(path: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(path), *args], capture_output=True, text=True,
                          check=True).stdout


def branches(g: Governed) -> list[str]:
    return git(g.path, "for-each-ref", "--format=%(refname)", "refs/heads/").split()


def schema_at(g: Governed, rev: str, kind: str = "experiment") -> dict[str, Any]:
    data: dict[str, Any] = json.loads(git(g.path, "show", f"{rev}:schemas/{kind}.json"))
    return data


def test_add_field_opens_a_signed_branch(governed: Governed, cli: Any, tmp_path: Path) -> None:
    main_before = git(governed.path, "rev-parse", "main").strip()
    pid = open_add_field(cli, governed)
    assert pid.startswith("0001-experiment-statistical-power")
    branch = f"proposal/{pid}"
    files = git(governed.path, "diff", "--name-only", f"main...{branch}").split()
    assert sorted(files) == sorted([
        f"proposals/{pid}/migration.sql", f"proposals/{pid}/proposal.json",
        "schemas/experiment.json",
    ])
    assert git(governed.path, "rev-parse", "main").strip() == main_before
    meta = json.loads(git(governed.path, "show", f"{branch}:proposals/{pid}/proposal.json"))
    assert meta["proposer"] == "alice" and meta["change_type"] == "add_field"
    assert meta["backward_compatible"] is True
    new = schema_at(governed, branch)
    assert new["properties"]["statistical_power"] == json.loads(ADD_FIELD_SPEC)
    assert new["x-senate-version"] == schema_at(governed, "main")["x-senate-version"]
    # the proposal commit verifies with plain git and the roster's allowed-signers file
    signers = tmp_path / "allowed"
    result = cli("--repo", governed.path, "roster", "allowed-signers")
    signers.write_text(result.out)
    verify = subprocess.run(
        ["git", "-C", str(governed.path), "-c", f"gpg.ssh.allowedSignersFile={signers}",
         "verify-commit", branch], capture_output=True, text=True,
    )
    assert verify.returncode == 0, verify.stderr
    assert 'Good "git" signature for alice@agents.invalid' in verify.stderr


def test_content_id_matches_the_plain_git_pipeline(governed: Governed, cli: Any) -> None:
    result = cli(*propose_args(
        governed, "--type", "experiment", "--change", "add_field", "--field", "power",
        "--spec", ADD_FIELD_SPEC, "--rationale", RATIONALE, "--json"))
    data = result.json()
    assert {"id", "branch", "content_id"} <= set(data)
    raw = subprocess.run(["git", "-C", str(governed.path), "diff", "--raw", "--no-abbrev",
                          "--no-renames", "main", data["branch"]],
                         capture_output=True, check=True).stdout
    assert data["content_id"] == hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("change", "field", "extra", "check"),
    [
        ("modify_field", "extraction_confidence",
         ["--spec", '{"type": "number", "minimum": 0, "maximum": 1, "description": "p"}'],
         lambda s: s["properties"]["extraction_confidence"]["description"] == "p"),
        ("remove_field", "source_doi", [],
         lambda s: "source_doi" not in s["properties"]),
        ("rename_field", "source_doi", ["--new-name", "doi"],
         lambda s: "doi" in s["properties"] and "source_doi" not in s["properties"]),
    ],
)
def test_other_field_changes(
    governed: Governed, cli: Any, change: str, field: str, extra: list[str], check: Any
) -> None:
    before = schema_at(governed, "main")
    assert field in before["properties"]
    result = cli(*propose_args(governed, "--type", "experiment", "--change", change,
                               "--field", field, *extra, "--rationale", RATIONALE, "--json"))
    assert result.code == 0, result.err
    assert check(schema_at(governed, result.json()["branch"]))


def test_rename_keeps_required(governed: Governed, cli: Any) -> None:
    before = schema_at(governed, "main")
    field = before["required"][-1]
    result = cli(*propose_args(governed, "--type", "experiment", "--change", "rename_field",
                               "--field", field, "--new-name", "renamed_field",
                               "--rationale", RATIONALE, "--json"))
    assert result.code == 0, result.err
    after = schema_at(governed, result.json()["branch"])
    assert "renamed_field" in after["required"] and field not in after["required"]


def test_add_type(governed: Governed, cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps({
        "title": "Brain atlas", "type": "object",
        "properties": {"name": {"type": "string"}, "species": {"type": "string"}},
        "required": ["name"], "additionalProperties": False,
    }))
    result = cli(*propose_args(governed, "--type", "brain_atlas", "--change", "add_type",
                               "--spec", spec, "--rationale", RATIONALE, "--json"))
    assert result.code == 0, result.err
    new = schema_at(governed, result.json()["branch"], "brain_atlas")
    assert new["x-senate-version"] == 1 and new["$id"] == "urn:senate:schema:brain_atlas"


def test_migration_file_is_stored(governed: Governed, cli: Any, tmp_path: Path) -> None:
    sql = tmp_path / "m.sql"
    sql.write_text("UPDATE artifacts SET metadata = metadata WHERE artifact_type = 'x';\n")
    result = cli(*propose_args(governed, "--type", "experiment", "--change", "add_field",
                               "--field", "power", "--spec", ADD_FIELD_SPEC,
                               "--rationale", RATIONALE, "--migration", sql, "--json"))
    pid = result.json()["id"]
    stored = git(governed.path, "show", f"proposal/{pid}:proposals/{pid}/migration.sql")
    assert stored == sql.read_text()


BAD_INPUTS: list[tuple[str, list[str], str]] = [
    ("unknown type", ["--type", "spaceship", "--change", "add_field", "--field", "x",
                      "--spec", ADD_FIELD_SPEC], "unknown artifact type"),
    ("invalid spec", ["--type", "experiment", "--change", "add_field", "--field", "x",
                      "--spec", '{"type": "nonsense"}'], "not a valid JSON Schema"),
    ("spec not json", ["--type", "experiment", "--change", "add_field", "--field", "x",
                       "--spec", "{oops"], "not valid JSON"),
    ("field exists", ["--type", "experiment", "--change", "add_field",
                      "--field", "extraction_confidence", "--spec", ADD_FIELD_SPEC],
     "already has a field"),
    ("remove missing", ["--type", "experiment", "--change", "remove_field",
                        "--field", "no_such_field"], "has no field"),
    ("type with dots", ["--type", "../experiment", "--change", "add_field", "--field", "x",
                        "--spec", ADD_FIELD_SPEC], "not a valid name"),
    ("type with slash", ["--type", "a/b", "--change", "add_field", "--field", "x",
                         "--spec", ADD_FIELD_SPEC], "not a valid name"),
    ("type with space", ["--type", "a b", "--change", "add_field", "--field", "x",
                         "--spec", ADD_FIELD_SPEC], "not a valid name"),
    ("field with slash", ["--type", "experiment", "--change", "add_field", "--field", "../x",
                          "--spec", ADD_FIELD_SPEC], "not a valid field name"),
    ("rename without new name", ["--type", "experiment", "--change", "rename_field",
                                 "--field", "source_doi"], "--new-name"),
    ("add type that exists", ["--type", "experiment", "--change", "add_type",
                              "--spec", '{"type": "object"}'], "already exists"),
]


def _assert_nothing_written(g: Governed, main_before: str) -> None:
    assert branches(g) == ["refs/heads/main"]
    assert git(g.path, "rev-parse", "main").strip() == main_before
    assert git(g.path, "status", "--porcelain") == ""


@pytest.mark.parametrize(("label", "args", "message"), BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_leaves_nothing(
    governed: Governed, cli: Any, label: str, args: list[str], message: str
) -> None:
    main_before = git(governed.path, "rev-parse", "main").strip()
    result = cli(*propose_args(governed, *args, "--rationale", RATIONALE))
    assert result.code == 2, (label, result.out, result.err)
    assert message in result.err, result.err
    assert "Traceback" not in result.err
    _assert_nothing_written(governed, main_before)


@pytest.mark.parametrize(
    ("rationale", "message"),
    [("", "rationale is empty"), ("   ", "rationale is empty"),
     ("Because it would be nice to have this field.", "no use case")],
)
def test_bad_rationale(governed: Governed, cli: Any, rationale: str, message: str) -> None:
    main_before = git(governed.path, "rev-parse", "main").strip()
    result = cli(*propose_args(governed, "--type", "experiment", "--change", "add_field",
                               "--field", "x", "--spec", ADD_FIELD_SPEC,
                               "--rationale", rationale))
    assert result.code == 2 and message in result.err
    _assert_nothing_written(governed, main_before)


def test_missing_key_and_foreign_key(governed: Governed, cli: Any, tmp_path: Path) -> None:
    main_before = git(governed.path, "rev-parse", "main").strip()
    base = ["--repo", governed.path, "propose", "--type", "experiment", "--change", "add_field",
            "--field", "x", "--spec", ADD_FIELD_SPEC, "--rationale", RATIONALE]
    result = cli(*base)
    assert result.code == 2 and "--key" in result.err
    result = cli(*base, "--key", tmp_path / "nope")
    assert result.code == 2 and "cannot read key file" in result.err
    result = cli(*base, "--key", governed.keys["alice"].public)
    assert result.code == 2 and "not an OpenSSH private key" in result.err
    result = cli(*base, "--key", governed.keys["dave"].private)
    assert result.code == 2 and "not on the roster" in result.err
    _assert_nothing_written(governed, main_before)


def test_help_points_at_the_metadata_schema(cli: Any) -> None:
    result = cli("propose", "--help")
    assert "proposal.schema.json" in result.out
    schema = json.loads(cli("propose", "--print-schema").out)
    assert schema["$id"] == "urn:senate:proposal"


def test_concurrent_proposals_get_distinct_ids(governed: Governed) -> None:
    codes: list[int] = []

    def one(field: str) -> None:
        codes.append(run(["--repo", str(governed.path), "propose", "--type", "experiment",
                          "--change", "add_field", "--field", field, "--spec", ADD_FIELD_SPEC,
                          "--rationale", RATIONALE, "--key", str(governed.keys["bob"].private),
                          "--json"]))

    threads = [threading.Thread(target=one, args=("same_field",)) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [0] * 6
    names = [b for b in branches(governed) if b.startswith("refs/heads/proposal/")]
    assert len(names) == 6 and len(set(names)) == 6


def test_existing_branch_is_never_overwritten(governed: Governed, cli: Any) -> None:
    first = open_add_field(cli, governed)
    tip = git(governed.path, "rev-parse", f"proposal/{first}").strip()
    from senate.errors import ConflictError

    with pytest.raises(ConflictError):
        governed.git.create_ref(f"refs/heads/proposal/{first}",
                                git(governed.path, "rev-parse", "main").strip())
    assert git(governed.path, "rev-parse", f"proposal/{first}").strip() == tip


def test_proposals_and_show(governed: Governed, cli: Any) -> None:
    pid = open_add_field(cli, governed)
    listing = cli("--repo", governed.path, "proposals", "--json").json()["proposals"]
    assert [p["id"] for p in listing] == [pid]
    assert listing[0]["status"] == "open"
    assert cli("--repo", governed.path, "proposals", "--status", "merged", "--json").json() == {
        "proposals": []}
    detail = cli("--repo", governed.path, "show", pid, "--json").json()
    assert detail["metadata"]["field"] == "statistical_power"
    assert "statistical_power" in detail["schema_diff"]
    assert detail["migration_sql"].startswith("--")
    text = cli("--repo", governed.path, "show", pid)
    assert pid in text.out and "Rationale:" in text.out
    missing = cli("--repo", governed.path, "show", "0099-nothing")
    assert missing.code == 2 and "no proposal" in missing.err
    bad = cli("--repo", governed.path, "show", "../../etc")
    assert bad.code == 2 and "not valid" in bad.err


def test_concurrent_proposals_never_share_a_number(governed: Governed) -> None:
    """Different slugs, same moment: each keeps a number of its own."""
    codes: list[int] = []

    def one(field: str) -> None:
        codes.append(run(["--repo", str(governed.path), "propose", "--type", "experiment",
                          "--change", "add_field", "--field", field, "--spec", ADD_FIELD_SPEC,
                          "--rationale", RATIONALE, "--key", str(governed.keys["carol"].private),
                          "--json"]))

    threads = [threading.Thread(target=one, args=(f"field_{i}",)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert codes == [0] * 8
    names = [b.rsplit("/", 1)[1] for b in branches(governed) if "/proposal/" in b]
    assert len(names) == 8
    assert len({n[:4] for n in names}) == 8, names


def test_false_claim_is_flagged_at_propose_time(governed: Governed, cli: Any) -> None:
    result = cli(*propose_args(governed, "--type", "experiment", "--change", "remove_field",
                               "--field", "source_doi", "--compatible",
                               "--rationale", RATIONALE, "--json"))
    assert result.code == 0
    data = result.json()
    assert data["backward_compatible"] is False
    assert data["mismatches"] and "source_doi" in " ".join(data["mismatches"])
    assert "warning:" in result.err
    honest = cli(*propose_args(governed, "--type", "experiment", "--change", "add_field",
                               "--field", "fine", "--spec", ADD_FIELD_SPEC,
                               "--rationale", RATIONALE, "--json")).json()
    assert honest["backward_compatible"] is True and honest["mismatches"] == []
