"""The whole pipeline through a shared bare repository guarded by the pre-receive hook:
every write is a `--push` from an agent's own clone, and the hook accepts exactly what
Senate itself produces (merge, archive, migrations)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conftest import Governed
from remotekit import clone, make_shared, remote_refs, remote_tip, run_git
from test_remotes import cast, propose


def test_merge_archive_migrate_and_audit_through_the_hook(
    governed: Governed, tmp_path: Path, cli: Any
) -> None:
    shared = make_shared(governed.path, tmp_path / "shared.git", cli)
    a, b, c = (clone(f"file://{shared}", tmp_path / n) for n in ("a", "b", "c"))
    good = propose(cli, governed, a, "statistical_power", "--push")
    cast(cli, governed, b, good, "bob", "approve", "--push")
    cast(cli, governed, c, good, "carol", "approve", "--push")
    result = cli("--repo", b, "propose", "--type", "experiment", "--change", "remove_field",
                 "--field", "source_doi", "--rationale",
                 "PMIDs suffice. Use case: the extraction agent stops resolving DOIs.",
                 "--key", governed.keys["bob"].private, "--json", "--push")
    assert result.code == 0, result.err
    bad = result.json()["id"]
    cast(cli, governed, a, bad, "alice", "reject", "--push")

    merged = cli("--repo", c, "merge", good, "--push", "--json")
    assert merged.code == 0, merged.out + merged.err
    assert remote_tip(shared, "refs/heads/main") == merged.json()["commit"]

    refused = cli("--repo", a, "merge", bad, "--push", "--key", governed.keys["alice"].private,
                  "--json")
    assert refused.code == 1
    data = refused.json()
    assert data["refused"] == "rejected" and data["archived"]["tag"] == f"refs/tags/archive/{bad}"
    assert remote_tip(shared, f"refs/heads/proposal/{bad}") is None
    assert remote_tip(shared, f"refs/tags/archive/{bad}") is not None

    generated = cli("--repo", b, "migrate", "generate", "--push", "--json")
    assert generated.code == 0, generated.out + generated.err
    assert remote_tip(shared, "refs/heads/main") == generated.json()["commit"]

    audit = cli("--repo", a, "audit", "--fetch", "--json")
    assert audit.code == 0, audit.out
    assert audit.json()["ok"] is True
    assert [m["proposal"] for m in audit.json()["merges"]] == [good]

    # and a hand-made direct change to a schema is still refused at the door
    before = remote_refs(shared)
    run_git(a, "pull", "-q", "--ff-only", "origin", "main")
    schema = a / "schemas" / "experiment.json"
    schema.write_text(schema.read_text().replace('"title"', '"description": "x", "title"', 1))
    run_git(a, "commit", "-qam", "sneak a change in")
    pushed = run_git(a, "push", "origin", "main", check=False)
    assert pushed.returncode != 0
    assert remote_refs(shared) == before
