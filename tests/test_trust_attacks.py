"""The trust core as a table of attacks, each judged by every surface.

For every attack: the counter alone (the GitHub set-up, no hook) never approves what the
roster did not approve; the pre-receive hook's check (`senate.hook.check_push`, what the
installed hook runs) refuses the push; `senate merge` writes nothing; and a merge forged
by hand onto main (someone with push access and no hook) is flagged by `senate audit`
and refused by the hook when pushed as main alone. One rulebook, every surface.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import RATIONALE, Governed, make_key, open_add_field
from votekit import content_id, git, make_commit, tip, vote, write_raw

from senate.counting import count, count_ref
from senate.hook import check_push
from senate.hooklock import RefUpdate
from senate.mainline import SENATE_PERSON
from senate.merging import merge_message, plan_merge
from senate.policy import default_email
from senate.proposals import find_proposal


def branch(pid: str) -> str:
    return f"refs/heads/proposal/{pid}"


def set_branch(g: Governed, pid: str, oid: str) -> None:
    git(g.path, "update-ref", branch(pid), oid)


def forge_merge_onto_main(g: Governed, pid: str) -> str:
    """What someone with push access and no key can do without a hook: a merge commit
    of the proposal's tip on main, with trailers copied from a count (as Senate writes
    them) and the tree of Senate's own merge."""
    repo = g.git
    main = repo.resolve("main")
    c = count_ref(repo, find_proposal(repo, pid))
    plan = plan_merge(repo, main, c.ref.tip, c.ref.base)
    tree = plan.tree if plan.tree is not None else repo.commit_tree(c.ref.tip)
    message = merge_message(c, plan)
    oid = repo.write_commit(repo.commit_buffer(tree, [main, c.ref.tip], SENATE_PERSON,
                                               SENATE_PERSON, message))
    return oid


@dataclass(frozen=True)
class Attack:
    pid: str
    before: str  # the branch tip before the attacker's push
    after: str  # the tip the attacker pushes
    blocked: str | None  # a problem expected in the count (None: only not counted)
    ignored: tuple[str, str] | None = None  # (commit, reason) the count must give


def judged_everywhere(g: Governed, cli: Any, attack: Attack) -> None:
    repo = g.git
    set_branch(g, attack.pid, attack.after)
    c = count(repo, attack.pid)
    data = c.to_json()
    # 1. the counter alone
    assert c.status != "approved", data
    if attack.blocked is not None:
        assert any(attack.blocked in p for p in c.problems), c.problems
    if attack.ignored is not None:
        commit, reason = attack.ignored
        assert {i["commit"]: i["reason"] for i in data["ignored"]}.get(commit) == reason, data
    # 2. the hook refuses the branch push (a stale or superseded ballot is not a forgery,
    #    but everything in this table is)
    refusals = check_push(repo, [RefUpdate(attack.before, attack.after,
                                           branch(attack.pid))])
    assert refusals, f"the hook accepted {attack}"
    # 3. senate merge writes nothing
    main = repo.resolve("main")
    merged = cli("--repo", g.path, "merge", attack.pid, "--json")
    assert merged.code == 1 and repo.resolve("main") == main, merged.out
    # 4. a hand-forged merge: refused by the hook as a push of main alone, flagged by audit
    forged = forge_merge_onto_main(g, attack.pid)
    assert check_push(repo, [RefUpdate(main, forged, "refs/heads/main")])
    repo.update_ref("refs/heads/main", forged, main)
    report = cli("--repo", g.path, "audit", "--json")
    assert report.code == 1, report.out
    flagged = {v["commit"] for v in report.json()["violations"]}
    assert forged in flagged


def approve_all(g: Governed, pid: str, *agents: str) -> None:
    for agent in agents:
        vote(g, pid, agent, "approve")


def content_commit(g: Governed, pid: str, changes: dict[str, bytes | None], *,
                   signer: str | None, when: int | None = None) -> str:
    return make_commit(g, tip(g, pid), f"propose({pid}): edit\n", signer=signer,
                       changes=changes, when=when)


# -- class 1: the base is main's first-parent history, never any commit main contains ---
def test_a_proposal_based_on_a_hostile_intermediate_commit(
    governed: Governed, cli: Any, tmp_path: Path
) -> None:
    g = governed
    mallory = make_key(tmp_path / "outsider", "mallory")
    g.keys["mallory"] = mallory
    first = open_add_field(cli, g)
    # alice plants a roster with mallory on her branch, then reverts it: the net diff is
    # innocent, the proposal is approved and merged, the planted commit is in main now
    policy = git(g.path, "show", "main:senate.toml")
    hostile = policy + (f'\n[[agents]]\nname = "mallory"\nemail = "{default_email("mallory")}"\n'
                        f'key = "{mallory.public.read_text().split(" mallory")[0]}"\n')
    hostile = hostile.replace("approval_numerator = 2", "approval_numerator = 1")
    planted = content_commit(g, first, {"senate.toml": hostile.encode()}, signer="alice")
    set_branch(g, first, planted)
    reverted = content_commit(g, first, {"senate.toml": policy.encode()}, signer="alice")
    set_branch(g, first, reverted)
    approve_all(g, first, "alice", "bob")
    assert cli("--repo", g.path, "merge", first).code == 0
    # mallory branches off the planted commit and removes a field with her key alone
    schema = json.loads(git(g.path, "show", "main:schemas/experiment.json"))
    del schema["properties"]["source_doi"]
    schema["required"] = [r for r in schema.get("required", []) if r != "source_doi"]
    pid = "0009-experiment-drop-doi"
    meta = json.loads(git(g.path, "show", f"main:proposals/{first}/proposal.json"))
    meta.update(id=pid, proposer="mallory", change_type="remove_field", field="source_doi")
    opened = make_commit(g, planted, f"propose({pid}): remove_field\n", signer="mallory",
                         changes={f"proposals/{pid}/proposal.json": json.dumps(meta).encode(),
                                  f"proposals/{pid}/migration.sql": b"SELECT 1;\n",
                                  "schemas/experiment.json": json.dumps(schema).encode()})
    git(g.path, "update-ref", branch(pid), opened)
    ballot = vote(g, pid, "mallory", "approve")
    judged_everywhere(g, cli, Attack(pid, opened, ballot, "only the proposer",
                                     (ballot, "unknown_key")))


def test_a_key_removed_on_main_stops_counting_at_once(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve_all(g, pid, "alice", "carol")
    assert count(g.git, pid).approved
    policy = git(g.path, "show", "main:senate.toml")
    head, _, rest = policy.partition('[[agents]]\nname = "carol"')
    without = head + (rest.split("\n\n", 1)[1] if "\n\n" in rest else "")
    main = g.git.resolve("main")
    g.git.update_ref("refs/heads/main", make_commit(
        g, main, "governance: carol leaves\n", signer="alice",
        changes={"senate.toml": without.encode()}), main)
    c = count(g.git, pid).to_json()
    assert c["status"] == "open" and c["eligible"] == 2 and c["approve"] == 1
    assert "unknown_key" in {i["reason"] for i in c["ignored"]}


# -- class 2: the content id is every byte ----------------------------------------------
@pytest.mark.parametrize(("before", "after"), [
    (b"UPDATE artifacts SET metadata = metadata WHERE metadata LIKE '% %';\n",
     b"UPDATE artifacts SET metadata = metadata WHERE metadata LIKE '%%';\n"),
    (b"SELECT 1;\n\0binary now\n",
     b"SELECT 1;\n\0binary now\nDELETE FROM artifacts WHERE 1 = 1;\n"),
    (b"SELECT 1;\n", b"SELECT 1; \n"),
], ids=["whitespace-inside-a-line", "binary-file", "trailing-space"])
def test_any_byte_change_makes_the_votes_stale(
    governed: Governed, cli: Any, before: bytes, after: bytes
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    path = f"proposals/{pid}/migration.sql"
    set_branch(g, pid, content_commit(g, pid, {path: before}, signer="alice"))
    votes = [vote(g, pid, a, "approve") for a in ("alice", "bob")]
    assert count(g.git, pid).approved
    swapped = content_commit(g, pid, {path: after}, signer="alice")
    set_branch(g, pid, swapped)
    c = count(g.git, pid).to_json()
    assert c["status"] == "open" and c["approve"] == 0
    assert {i["commit"]: i["reason"] for i in c["ignored"]} == dict.fromkeys(votes, "stale")


def test_a_utf16_schema_is_refused_and_its_swap_stales_the_votes(
    governed: Governed, cli: Any
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve_all(g, pid, "alice", "bob")
    text = git(g.path, "show", f"proposal/{pid}:schemas/experiment.json")
    same_json = text.encode("utf-16")
    swapped = content_commit(g, pid, {"schemas/experiment.json": same_json}, signer="alice")
    set_branch(g, pid, swapped)
    c = count(g.git, pid)
    assert c.status == "open" and c.tally.approve == 0
    assert any("byte-order mark" in p or "not UTF-8" in p for p in c.problems), c.problems


def test_content_id_is_the_plain_git_pipeline_on_odd_files(governed: Governed, cli: Any) -> None:
    """Quoted paths, binary bytes, an executable bit, a deletion: equal to git's own."""
    g = governed
    pid = open_add_field(cli, g)
    odd = {f"proposals/{pid}/caf\u00e9 \"q\"\t.sql": b"SELECT 1;\n",
           f"proposals/{pid}/blob.bin": bytes(range(256)),
           f"proposals/{pid}/migration.sql": None}
    set_branch(g, pid, content_commit(g, pid, odd, signer="alice"))
    ref = find_proposal(g.git, pid)
    raw = subprocess.run(["git", "-C", str(g.path), "diff", "--raw", "--no-abbrev",
                          "--no-renames", ref.base, ref.tip], capture_output=True,
                         check=True).stdout
    import hashlib

    assert content_id(g, pid) == hashlib.sha256(raw).hexdigest()
    assert count(g.git, pid).content_id == hashlib.sha256(raw).hexdigest()


# -- class 3: only the proposer's signed commits may add content -----------------------
@pytest.mark.parametrize("signer", [None, "bob"], ids=["unsigned", "another-roster-member"])
def test_content_not_signed_by_the_proposer_blocks(
    governed: Governed, cli: Any, signer: str | None
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    before = tip(g, pid)
    sql = f"proposals/{pid}/migration.sql"
    bad = content_commit(g, pid, {sql: b"DELETE FROM artifacts WHERE 1 = 1;\n"}, signer=signer)
    set_branch(g, pid, bad)
    approve_all(g, pid, "alice", "bob", "carol")  # votes on the new content id
    judged_everywhere(g, cli, Attack(pid, before, tip(g, pid), "only the proposer"))


# -- class 4: merges can bring in nothing but main --------------------------------------
def test_a_merge_cannot_resurrect_a_superseded_vote(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    opened = tip(g, pid)
    approve_all(g, pid, "bob")
    lost_race = vote(g, pid, "alice", "approve")  # this push lost a race ...
    set_branch(g, pid, opened)
    approve_all(g, pid, "bob")
    rejected = vote(g, pid, "alice", "reject")  # ... and alice voted reject instead
    before = tip(g, pid)
    merge = make_commit(g, before, "Merge\n", signer=None, parents=[before, lost_race])
    judged_everywhere(g, cli, Attack(pid, before, merge,
                                     "not a commit of main's first-parent history"))
    c = count(g.git, pid).to_json()
    assert {"agent": "alice", "vote": "reject", "commit": rejected} in c["counted"]


def test_an_unsigned_merge_of_main_that_edits_content_blocks(
    governed: Governed, cli: Any
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    before = tip(g, pid)
    main = g.git.resolve("main")
    doc = make_commit(g, main, "docs\n", signer=None, changes={"docs/x.md": b"x\n"})
    g.git.update_ref("refs/heads/main", doc, main)
    evil_tree = g.git.build_tree(before, {"docs/x.md": b"x\n", f"proposals/{pid}/migration.sql":
                                          b"DROP TABLE artifacts;\n"})
    evil = g.git.write_commit(g.git.commit_buffer(evil_tree, [before, doc], SENATE_PERSON,
                                                  SENATE_PERSON, "Merge main\n"))
    set_branch(g, pid, evil)
    approve_all(g, pid, "alice", "bob")
    judged_everywhere(g, cli, Attack(pid, before, tip(g, pid), "no merge of main would"))


def test_a_clean_merge_of_main_keeps_the_votes(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve_all(g, pid, "alice", "bob")
    cid = content_id(g, pid)
    main = g.git.resolve("main")
    doc = make_commit(g, main, "docs\n", signer=None, changes={"docs/x.md": b"x\n"})
    g.git.update_ref("refs/heads/main", doc, main)
    t = tip(g, pid)
    merged_tree = g.git.build_tree(t, {"docs/x.md": b"x\n"})
    merge = g.git.write_commit(g.git.commit_buffer(merged_tree, [t, doc], SENATE_PERSON,
                                                   SENATE_PERSON, "Merge main\n"))
    set_branch(g, pid, merge)
    git(g.path, "reset", "-q", "--hard", "main")
    c = count(g.git, pid)
    assert c.content_id == cid and c.approved and c.ref.base == doc, c.problems
    assert not check_push(g.git, [RefUpdate(t, merge, branch(pid))])
    assert cli("--repo", g.path, "merge", pid).code == 0
    assert cli("--repo", g.path, "audit").code == 0


# -- class 5: what lands is what was judged ---------------------------------------------
def test_two_proposals_on_one_schema_never_text_merge(governed: Governed, cli: Any) -> None:
    g = governed
    first, second = open_add_field(cli, g, "power_a"), open_add_field(cli, g, "power_b")
    approve_all(g, first, "alice", "bob")
    approve_all(g, second, "alice", "bob")
    assert cli("--repo", g.path, "merge", first).code == 0
    main = g.git.resolve("main")
    refused = cli("--repo", g.path, "merge", second, "--json")
    assert refused.code == 1 and refused.json()["refused"] == "conflict"
    assert "schemas/experiment.json" in refused.json()["reason"]
    assert g.git.resolve("main") == main


@pytest.mark.parametrize(("path", "data", "problem"), [
    ("schemas/experiment.json", b'{"type": "object", "type": "array"}', "duplicate key"),
    ("schemas/experiment.json", b'{"type": "strng"}', "not a valid JSON Schema"),
    ("schemas/experiment.json", b'\xef\xbb\xbf{"type": "object"}', "byte-order mark"),
    ("schemas/experiment.json", b'{"minimum": NaN}', "not strict JSON"),
    ("schemas/zzz.json/x.json", b'{"type": "object"}', "not a schema file"),
    ("schemas/Bad-Name.json", b'{"type": "object"}', "not a schema file"),
    ("senate.toml", b"# a roster edit inside a schema proposal\n", "governance proposal"),
    ("README.md", b"mine\n", "outside its scope"),
], ids=["duplicate-keys", "invalid-schema", "bom", "nan", "directory", "bad-name",
        "roster-edit", "out-of-scope"])
def test_a_schema_file_senate_cannot_read_one_way_blocks(
    governed: Governed, cli: Any, path: str, data: bytes, problem: str
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    before = tip(g, pid)
    set_branch(g, pid, content_commit(g, pid, {path: data}, signer="alice"))
    approve_all(g, pid, "alice", "bob", "carol")
    judged_everywhere(g, cli, Attack(pid, before, tip(g, pid), problem))


def test_a_symlink_schema_blocks(governed: Governed, cli: Any) -> None:
    from senate import sshsig
    from senate.git import Person

    g = governed
    pid = open_add_field(cli, g)
    before = tip(g, pid)
    target = subprocess.run(["git", "-C", str(g.path), "hash-object", "-w", "--stdin"],
                            input=b"dataset.json", capture_output=True,
                            check=True).stdout.decode().strip()
    tree = g.git.overlay_tree(g.git.commit_tree(before),
                              {"schemas/experiment.json": (0o120000, target)})
    who = Person("alice", default_email("alice"))
    buffer = g.git.commit_buffer(tree, [before], who, who, f"propose({pid}): link\n")
    signed = g.git.write_commit(buffer, sshsig.sign(
        sshsig.load_private_key(g.keys["alice"].private), buffer))
    set_branch(g, pid, signed)
    approve_all(g, pid, "alice", "bob", "carol")
    judged_everywhere(g, cli, Attack(pid, before, tip(g, pid), "regular file"))


# -- class 6: archiving is signed; tags are not records ---------------------------------
def test_a_keyless_archive_of_an_approved_proposal(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    approve_all(g, pid, "alice", "bob")
    main = g.git.resolve("main")
    t = tip(g, pid)
    tree = g.git.build_tree(main, {f"proposals/archive/{pid}/reason.txt": b"gone\n"})
    forged = g.git.write_commit(g.git.commit_buffer(
        tree, [main], SENATE_PERSON, SENATE_PERSON, f"archive({pid}): gone\n\n"
        f"Senate-Proposal: {pid}\nSenate-Archive-Reason: rejected\nSenate-Tip: {t}\n"))
    assert check_push(g.git, [RefUpdate(main, forged, "refs/heads/main")])
    # signed by a roster member who is not the proposer, on a proposal that is approved
    refused = cli("--repo", g.path, "archive", pid, "--reason", "I dislike it", "--key",
                  g.keys["bob"].private)
    assert refused.code == 2 and g.git.resolve("main") == main
    g.git.update_ref("refs/heads/main", forged, main)
    report = cli("--repo", g.path, "audit", "--json").json()
    assert [v["kind"] for v in report["violations"]] == ["bad_archive"]


def test_a_stray_archive_tag_is_harmless(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    stray = g.git.resolve("main")
    assert check_push(g.git, [RefUpdate(None, stray, f"refs/tags/archive/{pid}")])
    g.git.create_ref(f"refs/tags/archive/{pid}", stray)  # no hook: it lands anyway
    g.git.create_ref("refs/tags/archive/0042-nothing", stray)
    listed = cli("--repo", g.path, "proposals", "--json")
    assert listed.code == 0, listed.out + listed.err
    assert find_proposal(g.git, pid).location == "branch"
    vote(g, pid, "alice", "reject")
    vote(g, pid, "bob", "reject")
    done = cli("--repo", g.path, "archive", pid, "--reason", "voted down", "--key",
               g.keys["carol"].private, "--json")
    assert done.code == 0, done.out + done.err
    assert find_proposal(g.git, pid).location == "archived"
    assert cli("--repo", g.path, "audit").code == 0


# -- class 7: unsigned commits never set the clock --------------------------------------
def test_an_unsigned_commit_dated_1970_never_sets_the_clock(
    governed: Governed, cli: Any
) -> None:
    g = governed
    toml = (g.path / "senate.toml").read_text()
    main = g.git.resolve("main")
    g.git.update_ref("refs/heads/main", make_commit(
        g, main, "window\n", signer=None, changes={"senate.toml": toml.replace(
            "[rules]\n", "[rules]\nvoting_window_hours = 24\n").encode()}), main)
    pid = open_add_field(cli, g)
    approve_all(g, pid, "alice", "bob")
    assert count(g.git, pid).approved
    # appended by anyone: an empty commit, ignored, and no clock of the proposal's
    epoch = make_commit(g, tip(g, pid), f"comment({pid}): hi\n", signer=None, when=1)
    set_branch(g, pid, epoch)
    c = count(g.git, pid)
    assert c.approved and not c.tally.window_closed, c.to_json()
    # merged in from outside main: the branch is blocked, the clock still its own
    before = tip(g, pid)
    old = make_commit(g, g.git.resolve("main"), "1970\n", signer=None, when=1,
                      changes={"docs/old.md": b"old\n"})
    merge = make_commit(g, before, "Merge\n", signer=None, parents=[before, old], when=1)
    judged_everywhere(g, cli, Attack(pid, before, merge,
                                     "not a commit of main's first-parent history"))
    assert not count(g.git, pid).tally.window_closed


# -- class 8: crafted objects are findings, never crashes -------------------------------
@pytest.mark.parametrize("as_content", [False, True], ids=["ballot", "content"])
def test_a_commit_dated_past_2_63_never_crashes(
    governed: Governed, cli: Any, as_content: bool
) -> None:
    g = governed
    pid = open_add_field(cli, g)
    before = tip(g, pid)
    tree = g.git.commit_tree(before)
    if as_content:
        tree = g.git.build_tree(before, {f"proposals/{pid}/migration.sql": b"SELECT 2;\n"})
    big = 2**64
    data = (f"tree {tree}\nparent {before}\nauthor alice <{default_email('alice')}> {big} "
            f"+0000\ncommitter alice <{default_email('alice')}> {big} +0000\n\n"
            f"vote({pid}): approve\n\nSenate-Proposal: {pid}\nSenate-Vote: approve\n"
            f"Senate-Content-Id: {content_id(g, pid)}\n").encode()
    crafted = write_raw(g, data)
    set_branch(g, pid, crafted)
    for command in (["tally", pid], ["check", pid], ["show", pid], ["proposals"],
                    ["merge", pid]):
        r = cli("--repo", g.path, *command, "--json")
        assert r.code in (0, 1), (command, r.out, r.err)
        assert "Traceback" not in r.out + r.err
    assert check_push(g.git, [RefUpdate(before, crafted, branch(pid))])
    if as_content:
        assert count(g.git, pid).problems
    import httpx
    from apikit import serve_in_thread

    with serve_in_thread(g.path) as url:
        for path in (f"/api/senate/schema-proposal/{pid}", "/api/senate/schema-proposals",
                     f"/senate/proposals/{pid}", f"/api/senate/schema-proposal/{pid}/head"):
            answer = httpx.get(url + path)
            assert answer.status_code < 500, (path, answer.text)


# -- class 9: agents without voting rights ----------------------------------------------
def test_a_member_without_voting_rights_is_refused_before_anything_is_written(
    tmp_path: Path, cli: Any, keys: dict[str, Any]
) -> None:
    path = tmp_path / "repo"
    assert cli("init", path, "--agent", f"alice={keys['alice'].public}",
               "--agent", f"dave={keys['dave'].public}:novote").code == 0
    g = Governed(path, keys)
    pid = open_add_field(cli, g)
    before = tip(g, pid)
    r = cli("--repo", path, "vote", pid, "approve", "--key", keys["dave"].private)
    assert r.code == 2 and "dave has no voting rights" in r.err and tip(g, pid) == before
    by_hand = vote(g, pid, "dave", "approve")
    c = count(g.git, pid).to_json()
    assert {i["commit"]: i["reason"] for i in c["ignored"]}[by_hand] == "no_vote_right"
    assert check_push(g.git, [RefUpdate(before, by_hand, branch(pid))])


# -- the retired patch id ---------------------------------------------------------------
def test_a_vote_naming_the_old_patch_id_is_not_counted(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    message = (f"vote({pid}): approve\n\nold client\n\nSenate-Proposal: {pid}\n"
               f"Senate-Vote: approve\nSenate-Patch-Id: {'0' * 40}\n")
    old = vote(g, pid, "bob", message=message)
    c = count(g.git, pid).to_json()
    ignored = {i["commit"]: i for i in c["ignored"]}
    assert ignored[old]["reason"] == "old_trailer"
    assert "Senate-Content-Id" in ignored[old]["detail"]


def test_an_invalid_vote_value_gets_one_true_reason(governed: Governed, cli: Any) -> None:
    g = governed
    pid = open_add_field(cli, g)
    maybe = vote(g, pid, "bob", message=(
        f"vote({pid}): maybe\n\nhmm\n\nSenate-Proposal: {pid}\nSenate-Vote: maybe\n"
        f"Senate-Content-Id: {content_id(g, pid)}\n"))
    detail = {i["commit"]: i["detail"] for i in count(g.git, pid).to_json()["ignored"]}[maybe]
    assert "invalid Senate-Vote value 'maybe'" in detail
    assert "there is no Senate-Vote" not in detail


# -- class 10: drafting over the API writes nothing -------------------------------------
def test_drafts_write_nothing(governed: Governed) -> None:
    import httpx
    from apikit import serve_in_thread

    from senate import sshsig

    public = sshsig.PublicKey.parse(governed.keys["alice"].public.read_text()).openssh()

    def objects() -> int:
        out = subprocess.run(["git", "-C", str(governed.path), "count-objects", "-v"],
                             capture_output=True, text=True, check=True).stdout
        fields = dict(line.split(": ") for line in out.splitlines())
        return int(fields["count"]) + int(fields["in-pack"])

    with serve_in_thread(governed.path) as url:
        before = objects()
        for n in range(40):
            r = httpx.post(url + "/api/senate/schema-proposal/draft", json={
                "proposer_key": public, "artifact_type": "experiment",
                "change_type": "add_field", "field": f"f{n}", "field_spec": {"type": "number"},
                "rationale": RATIONALE})
            assert r.status_code == 200, r.text
        assert objects() == before


def test_the_api_refuses_ballots_on_a_blocked_proposal(governed: Governed, cli: Any) -> None:
    from apikit import serve_in_thread

    from senate.api.client import ApiError, SenateClient
    from senate.sshsig import load_private_key

    g = governed
    pid = open_add_field(cli, g)
    set_branch(g, pid, content_commit(g, pid, {f"proposals/{pid}/migration.sql": b"x;\n"},
                                      signer=None))
    with serve_in_thread(g.path) as url:
        client = SenateClient(url)
        with pytest.raises(ApiError) as caught:
            client.vote(pid, load_private_key(g.keys["bob"].private), "approve", "fine")
        assert caught.value.kind == "blocked"
