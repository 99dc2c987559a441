"""`senate adopt` on a real repository with 50 earlier commits touching schemas/."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Governed, Key, open_add_field
from votekit import git, make_commit, vote

from senate.git import GitRepo, Person
from senate.policy import POLICY_FILE, parse_policy
from senate.registry import seed_schemas

OLD = Person("maintainer", "maintainer@example.org")
HAND_POLICY = """# written by hand before Senate
[senate]
format = 1

[[agents]]
name = "alice"
key = "{key}"
"""


def legacy_repo(path: Path, commits: int = 50, policy: bytes | None = None) -> GitRepo:
    """A repository whose schemas/ grew over `commits` plain commits (and a side merge)."""
    repo = GitRepo.init(path)
    seeds = sorted(seed_schemas().items())
    parent: str | None = None
    for i in range(commits):
        name, data = seeds[i % len(seeds)]
        schema = json.loads(data)
        schema["description"] = f"revision {i} of {name}"
        changes: dict[str, bytes | None] = {f"schemas/{name}": json.dumps(schema).encode()}
        if i == 0:
            changes["README.md"] = b"# Our registry\n"
        if policy is not None and i == commits - 5:
            changes[POLICY_FILE] = policy
        tree = repo.build_tree(parent, changes)
        parents = [parent] if parent else []
        if i == 20 and parent is not None:  # a side branch merged in, as teams do
            side_tree = repo.build_tree(parent, {"notes.txt": b"side work\n"})
            side = repo.write_commit(repo.commit_buffer(side_tree, [parent], OLD, OLD,
                                                        "side work\n"))
            tree = repo.build_tree(side, changes)
            parents = [parent, side]
        parent = repo.write_commit(repo.commit_buffer(tree, parents, OLD, OLD,
                                                      f"schemas: revision {i}\n"))
    assert parent is not None
    repo.create_ref("refs/heads/main", parent)
    git(path, "symbolic-ref", "HEAD", "refs/heads/main")
    repo.checkout_main_if_head()
    return repo


def key_line(key: Key) -> str:
    return " ".join(key.public.read_text().split()[:2])


def agent_args(keys: dict[str, Key], *names: str) -> list[str]:
    return [a for n in names for a in ("--agent", f"{n}={keys[n].public}")]


def audit(cli: Any, path: Path) -> dict[str, Any]:
    result = cli("--repo", path, "audit", "--json")
    assert result.code in (0, 1), result.out + result.err
    data: dict[str, Any] = result.json()
    return data


def adopted(cli: Any, tmp_path: Path, keys: dict[str, Key]) -> tuple[Governed, dict[str, Any]]:
    path = tmp_path / "legacy"
    legacy_repo(path)
    result = cli("adopt", path, *agent_args(keys, "alice", "bob", "carol"),
                 "--key", keys["alice"].private, "--json")
    assert result.code == 0, result.out + result.err
    return Governed(path, keys), result.json()


def test_adopt_gives_a_clean_audit_and_marks_earlier_history(
    cli: Any, tmp_path: Path, keys: dict[str, Key]
) -> None:
    path = tmp_path / "legacy"
    old_tip = legacy_repo(path).resolve("main")
    before = cli("--repo", path, "audit", "--json")  # unadopted: nothing to vouch for
    assert before.code == 2 and "not a governed repository" in before.json()["error"]["message"]

    result = cli("adopt", path, *agent_args(keys, "alice", "bob", "carol"),
                 "--key", keys["alice"].private, "--json")
    assert result.code == 0, result.out + result.err
    done = result.json()
    repo = GitRepo.open(path)
    assert repo.commit_parents(done["commit"]) == [old_tip]  # one commit, on top of main
    assert repo.resolve("main") == done["commit"]
    assert done["adopted_after"] == old_tip and done["signer"] == "alice"
    assert done["before_governance"] == 50
    policy = parse_policy((repo.read_file(done["commit"], POLICY_FILE) or b"").decode())
    assert policy.adopted_after == old_tip
    assert [a.name for a in policy.agents] == ["alice", "bob", "carol"]
    changed = repo.changed_paths(old_tip, done["commit"])
    assert not [p for p in changed if p.startswith("schemas/")]
    assert {POLICY_FILE, "proposals/README.md", ".github/workflows/vote-check.yml",
            ".github/workflows/migrate.yml"} <= set(changed)
    # git itself accepts the adoption's signature with the new roster as allowed signers
    signers = tmp_path / "allowed"
    signers.write_text(policy.allowed_signers())
    subprocess.run(["git", "-C", str(path), "-c", f"gpg.ssh.allowedSignersFile={signers}",
                    "verify-commit", done["commit"]], check=True, capture_output=True)

    report = audit(cli, path)
    assert report["ok"], report["violations"]
    assert report["before_governance"] == 50
    assert report["root"] == done["commit"] and report["commits"] == 1
    text = cli("--repo", path, "audit")
    assert "50 earlier commit(s) are before governance" in text.out


def test_after_adoption_merges_are_audited_and_a_direct_push_is_flagged(
    cli: Any, tmp_path: Path, keys: dict[str, Key]
) -> None:
    g, _ = adopted(cli, tmp_path, keys)
    pid = open_add_field(cli, g)
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    merged = cli("--repo", g.path, "merge", pid, "--json")
    assert merged.code == 0, merged.out + merged.err
    report = audit(cli, g.path)
    assert report["ok"], report["violations"]
    assert [m["proposal"] for m in report["merges"]] == [pid]

    main = g.git.resolve("main")
    pushed = make_commit(g, main, "tweak a schema directly\n", signer="alice",
                         changes={"schemas/experiment.json": b"{}\n"})
    g.git.update_ref("refs/heads/main", pushed, main)
    report = audit(cli, g.path)
    assert not report["ok"]
    assert [(v["commit"], v["kind"]) for v in report["violations"]] == [
        (pushed, "direct_change")]
    assert report["before_governance"] == 50


def test_a_second_adoption_is_refused_and_a_forged_one_is_flagged(
    cli: Any, tmp_path: Path, keys: dict[str, Key]
) -> None:
    g, done = adopted(cli, tmp_path, keys)
    again = cli("adopt", g.path, *agent_args(keys, "dave"), "--key", keys["dave"].private,
                "--json")
    assert again.code == 2 and "already adopted" in again.json()["error"]["message"]
    assert g.git.resolve("main") == done["commit"]
    # By hand: a new roster naming its parent, signed by its own new agent.
    main = g.git.resolve("main")
    text = (g.git.read_file(main, POLICY_FILE) or b"").decode()
    forged_policy = text.replace(done["adopted_after"], main).replace(
        key_line(keys["alice"]), key_line(keys["dave"]))
    forged = make_commit(g, main, "re-adopt\n", signer="dave", author=("alice",
                         "alice@agents.invalid"), changes={POLICY_FILE: forged_policy.encode()})
    g.git.update_ref("refs/heads/main", forged, main)
    report = audit(cli, g.path)
    assert (forged, "direct_change") in [(v["commit"], v["kind"]) for v in report["violations"]]
    assert report["before_governance"] == 50  # the first adoption still anchors the line


@pytest.mark.parametrize("fault", ["unsigned", "foreign_key", "wrong_parent", "schemas"])
def test_a_forged_adoption_does_not_hide_history(
    cli: Any, tmp_path: Path, keys: dict[str, Key], fault: str
) -> None:
    path = tmp_path / "legacy"
    repo = legacy_repo(path)
    g = Governed(path, keys)
    tip = repo.resolve("main")
    first = repo.first_parent_history(tip)
    named = list(first)[3] if fault == "wrong_parent" else tip
    policy = HAND_POLICY.format(key=key_line(keys["alice"]))
    policy = policy.replace("format = 1\n", f'format = 1\nadopted_after = "{named}"\n')
    changes: dict[str, bytes | None] = {POLICY_FILE: policy.encode()}
    if fault == "schemas":
        changes["schemas/experiment.json"] = b'{"type": "object"}\n'
    signer = {"unsigned": None, "foreign_key": "dave"}.get(fault, "alice")
    forged = make_commit(g, tip, "adopt\n", signer=signer,
                         author=("alice", "alice@agents.invalid"), changes=changes)
    repo.update_ref("refs/heads/main", forged, tip)
    report = audit(cli, path)
    assert not report["ok"] and report["before_governance"] == 0
    kinds = [(v["commit"], v["kind"]) for v in report["violations"]]
    assert (forged, "bad_adoption") in kinds
    assert sum(1 for _, k in kinds if k == "direct_change") >= 50  # history stays visible


def test_adopt_keeps_a_hand_written_senate_toml_and_its_roster(
    cli: Any, tmp_path: Path, keys: dict[str, Key]
) -> None:
    path = tmp_path / "legacy"
    legacy_repo(path, policy=HAND_POLICY.format(key=key_line(keys["alice"])).encode())
    refused = cli("adopt", path, *agent_args(keys, "bob"), "--key", keys["bob"].private,
                  "--json")
    assert refused.code == 2 and "keeps its roster" in refused.json()["error"]["message"]
    result = cli("adopt", path, "--key", keys["alice"].private, "--json")
    assert result.code == 0, result.out + result.err
    repo = GitRepo.open(path)
    text = (repo.read_file("main", POLICY_FILE) or b"").decode()
    assert text.startswith("# written by hand before Senate\n[senate]\n")
    assert f'adopted_after = "{result.json()["adopted_after"]}"' in text
    report = audit(cli, path)
    assert report["ok"], report["violations"]
    assert report["before_governance"] == 50


def test_adopt_refuses_without_leaving_a_trace(
    cli: Any, tmp_path: Path, keys: dict[str, Key], governed: Governed
) -> None:
    born = cli("adopt", governed.path, *agent_args(keys, "alice"), "--key",
               keys["alice"].private, "--json")
    assert born.code == 2 and "born governed" in born.json()["error"]["message"]

    path = tmp_path / "legacy"
    repo = legacy_repo(path, commits=3)
    tip = repo.resolve("main")
    not_roster = cli("adopt", path, *agent_args(keys, "alice"), "--key", keys["dave"].private,
                     "--json")
    assert not_roster.code == 2 and "not on the roster" in not_roster.json()["error"]["message"]
    broken = make_commit(Governed(path, keys), tip, "bad schema\n", signer=None,
                         changes={"schemas/experiment.json": b'{"type": 12}'})
    repo.update_ref("refs/heads/main", broken, tip)
    bad = cli("adopt", path, *agent_args(keys, "alice"), "--key", keys["alice"].private,
              "--json")
    assert bad.code == 2 and "schemas/experiment.json" in bad.json()["error"]["message"]
    assert repo.resolve("main") == broken
    assert repo.read_file("main", POLICY_FILE) is None


def test_migrations_start_from_the_registry_as_adopted(
    cli: Any, tmp_path: Path, keys: dict[str, Key]
) -> None:
    g, _ = adopted(cli, tmp_path, keys)
    generated = cli("--repo", g.path, "migrate", "generate", "--json")
    assert generated.code == 0, generated.out + generated.err
    baseline = (g.git.read_file("main", "migrations/sqlite/0000_baseline.sql") or b"").decode()
    # Each type's schema as of its last revision (32..49), none from the early history.
    assert all(f"revision {i} of" in baseline for i in range(32, 50))
    assert "revision 0 of" not in baseline
    verified = cli("--repo", g.path, "migrate", "verify", "--json")
    assert verified.code == 0, verified.out + verified.err
    report = audit(cli, g.path)
    assert report["ok"], report["violations"]


ROOT = Path(__file__).resolve().parents[1]


def test_this_projects_own_history_passes_the_audit_once_adopted(
    cli: Any, tmp_path: Path, keys: dict[str, Key]
) -> None:
    """The same means on this repository's real history (a clone of the checkout). The
    founding agents' private keys are not in the repository, so the clone first swaps
    curator's public key for a test key in one plain commit, which is pre-governance
    history like every commit before it; then `senate adopt` keeps that roster."""
    inside = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--is-shallow-repository"],
                            capture_output=True, text=True)
    if inside.returncode != 0 or inside.stdout.strip() != "false":
        pytest.skip("needs this project's full git history (not a shallow or plain copy)")
    head = git(ROOT, "rev-parse", "HEAD").strip()
    clone = tmp_path / "self"
    subprocess.run(["git", "clone", "-q", "--no-checkout", str(ROOT), str(clone)], check=True)
    git(clone, "checkout", "-q", "-B", "main", head)
    before = audit(cli, clone)
    assert not before["ok"]  # today: direct changes to schemas/ and senate.toml

    repo = GitRepo.open(clone)
    text = (repo.read_file(head, POLICY_FILE) or b"").decode()
    curator = parse_policy(text).agent("curator")
    assert curator is not None
    swapped = text.replace(curator.key.openssh(), key_line(keys["alice"]))
    stand_in = make_commit(Governed(clone, keys), head, "test only: a stand-in key\n",
                           signer=None, changes={POLICY_FILE: swapped.encode()})
    repo.update_ref("refs/heads/main", stand_in, head)
    git(clone, "checkout", "-q", "-f", "main")
    result = cli("adopt", clone, "--key", keys["alice"].private, "--json")
    assert result.code == 0, result.out + result.err
    assert result.json()["signer"] == "curator"
    first_parent = len(git(clone, "rev-list", "--first-parent", stand_in).split())
    report = audit(cli, clone)
    assert report["ok"], report["violations"]
    assert report["before_governance"] == first_parent
    assert cli("--repo", clone, "migrate", "generate").code == 0
    verified = cli("--repo", clone, "migrate", "verify", "--json")
    assert verified.code == 0 and verified.json()["steps"], verified.out
    assert audit(cli, clone)["ok"]


def test_a_refused_adoption_is_not_remembered_for_another_line_from_the_same_root(
    cli: Any, tmp_path: Path, keys: dict[str, Key]
) -> None:
    """Found in review: where governance starts was remembered by the root commit, so a
    refused adoption on one line (a forged one, start: the root) made a sound adoption on
    another line from that root (a clone, in the same process) start at the root too."""
    from senate.migrate import generate

    first = tmp_path / "legacy"
    repo = legacy_repo(first)
    second = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(first), str(second)], check=True)
    tip = repo.resolve("main")
    policy = HAND_POLICY.format(key=key_line(keys["alice"])).replace(
        "format = 1\n", f'format = 1\nadopted_after = "{tip}"\n')
    forged = make_commit(Governed(first, keys), tip, "adopt\n", signer=None,
                         author=("alice", "alice@agents.invalid"),
                         changes={POLICY_FILE: policy.encode()})
    repo.update_ref("refs/heads/main", forged, tip)
    result = cli("adopt", second, *agent_args(keys, "alice", "bob", "carol"),
                 "--key", keys["alice"].private, "--json")
    assert result.code == 0, result.out + result.err
    clone = GitRepo.open(second)
    adoption = clone.resolve("main")
    root = list(repo.first_parent_history(tip))[-1]
    for order in ((repo, clone), (clone, repo)):
        generate._STARTS.clear()
        for r in order:
            expected = root if r is repo else adoption
            assert generate.root_commit(r, r.resolve("main")) == expected
