"""The HTTP API through real HTTP: a uvicorn server on 127.0.0.1 over a real repository."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from apikit import serve_in_thread
from conftest import RATIONALE, Governed, open_add_field
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from votekit import content_id, git, tip

from senate import sshsig
from senate.api.client import ApiError, SenateClient
from senate.api.commitbytes import Identity, commit_bytes, sign_commit
from senate.git import Person
from senate.policy import default_email
from senate.trailers import format_vote_message


@pytest.fixture
def url(governed: Governed) -> Iterator[str]:
    with serve_in_thread(governed.path, body_limit=64 * 1024) as base:
        yield base


@pytest.fixture
def pid(governed: Governed, cli: Any) -> str:
    return open_add_field(cli, governed)


@pytest.fixture
def client(url: str) -> Iterator[SenateClient]:
    with SenateClient(url) as c:
        yield c


def key(g: Governed, name: str) -> Any:
    return sshsig.load_private_key(g.keys[name].private)


def objects(g: Governed) -> set[str]:
    out = git(g.path, "cat-file", "--batch-all-objects", "--batch-check=%(objectname)")
    return set(out.split())


def all_refs(g: Governed) -> str:
    return git(g.path, "for-each-ref", "--format=%(refname) %(objectname)")


def signed_vote(g: Governed, pid: str, signer: str, decision: str | None = "approve",
                *, author: str | None = None, reason: str = "fine") -> bytes:
    repo = g.git
    t = tip(g, pid)
    who = author or signer
    me = Identity(who, default_email(who), 1_800_000_000)
    message = format_vote_message(pid, decision, content_id(g, pid), reason)  # type: ignore[arg-type]
    return sign_commit(key(g, signer), commit_bytes(repo.commit_tree(t), [t], me, me, message))


# -- the client builds the same bytes git does --------------------------------------
def test_client_commit_bytes_equal_git_signed_commit(governed: Governed, pid: str) -> None:
    repo = governed.git
    t = tip(governed, pid)
    person = Person("alice", default_email("alice"), 1_800_000_000)
    message = format_vote_message(pid, "approve", "a" * 64, "looks right")
    buffer = repo.commit_buffer(repo.commit_tree(t), [t], person, person, message)
    me = Identity("alice", default_email("alice"), 1_800_000_000)
    ours = commit_bytes(repo.commit_tree(t), [t], me, me, message)
    assert ours == buffer
    k = key(governed, "alice")
    # git (commit.c, do_sign_commit) prefixes each armor line with one space and adds
    # nothing after the last; libgit2 matches it when the armor has no final newline.
    oid = repo.write_commit(buffer, sshsig.sign(k, buffer).rstrip("\n"))
    assert repo.raw_commit(oid) == sign_commit(k, ours)


# -- reads are the CLI's --json ------------------------------------------------------
def test_reads_equal_cli_json(governed: Governed, pid: str, cli: Any, url: str) -> None:
    repo = ["--repo", governed.path]
    assert httpx.get(url + "/api/schemas").json() == cli(*repo, "schema", "list", "--json").json()
    assert httpx.get(url + "/api/schemas/experiment").json() == cli(
        *repo, "schema", "show", "experiment", "--json").json()
    assert httpx.get(url + "/api/senate/schema-proposals").json() == cli(
        *repo, "proposals", "--json").json()
    assert httpx.get(url + "/api/senate/schema-proposals", params={"status": "merged"}).json() \
        == {"proposals": []}
    detail = httpx.get(f"{url}/api/senate/schema-proposal/{pid}").json()
    shown = cli(*repo, "show", pid, "--json").json()
    assert {k: v for k, v in detail.items() if k != "tree"} == shown
    assert detail["tree"] == governed.git.commit_tree(detail["tip"])
    head = httpx.get(f"{url}/api/senate/schema-proposal/{pid}/head").json()
    assert head["tip"] == shown["tip"] and head["content_id"] == shown["content_id"]
    roster = httpx.get(url + "/api/roster").json()["agents"]
    assert [a["name"] for a in roster] == ["alice", "bob", "carol"]


def test_validate_documents(url: str) -> None:
    answer = httpx.post(url + "/api/schemas/experiment/validate",
                        json={"documents": [{"not": "an experiment"}]})
    assert answer.status_code == 200
    body = answer.json()
    assert body["valid"] is False and body["documents"][0]["errors"]


# -- writes --------------------------------------------------------------------------
def test_votes_through_the_client_count(governed: Governed, pid: str, cli: Any,
                                        client: SenateClient) -> None:
    first = client.vote(pid, key(governed, "alice"), "approve", "the power matters")
    assert first["agent"] == "alice" and first["vote"] == "approve"
    assert first["tally"]["approve"] == 1
    second = client.vote(pid, key(governed, "bob"), "approve", "agreed")
    assert second["tally"]["approve"] == 2
    assert second["tally"]["status"] == "approved"  # 2 of 3 for a compatible change
    tally = cli("--repo", governed.path, "tally", pid, "--json").json()
    assert tally == {**second["tally"]}
    assert tally["reasons"][first["commit"]] == "the power matters"
    # git itself accepts the signature made client-side
    signers = governed.path / "allowed_signers"
    signers.write_text(cli("--repo", governed.path, "roster", "allowed-signers").out)
    git(governed.path, "config", "gpg.ssh.allowedSignersFile", str(signers))
    git(governed.path, "verify-commit", first["commit"])
    assert git(governed.path, "cat-file", "-p", first["commit"]).count("parent ") == 1


def test_comment_and_cli_server_option(governed: Governed, pid: str, cli: Any, url: str) -> None:
    result = cli("vote", pid, "reject", "--reason", "not yet", "--key",
                 governed.keys["carol"].private, "--server", url, "--json")
    assert result.code == 0, result.out + result.err
    assert result.json()["tally"]["reject"] == 1
    result = cli("comment", pid, "-m", "what about old rows?", "--key",
                 governed.keys["bob"].private, "--server", url, "--json")
    assert result.code == 0, result.out + result.err
    debate = cli("--repo", governed.path, "tally", pid, "--json").json()["debate"]
    assert [(c["agent"], c["commit"]) for c in debate] == [("bob", result.json()["commit"])]


def test_cli_server_unreachable(governed: Governed, cli: Any) -> None:
    from apikit import free_port

    result = cli("vote", "0001-x", "approve", "--key", governed.keys["alice"].private,
                 "--server", f"http://127.0.0.1:{free_port()}", "--json")
    assert result.code == 1
    assert result.json()["error"]["kind"] == "unavailable"
    assert "cannot reach" in result.json()["error"]["message"]


def test_propose_through_the_api(governed: Governed, cli: Any, client: SenateClient) -> None:
    made = client.propose(
        key(governed, "bob"), artifact_type="experiment", change_type="add_field",
        field="sample_size", field_spec={"type": "integer", "minimum": 1},
        rationale=RATIONALE,
    )
    assert made["branch"] == f"proposal/{made['id']}"
    assert made["status"] == "open" and made["rule"] == "two_thirds"
    shown = cli("--repo", governed.path, "show", made["id"], "--json").json()
    assert shown["metadata"]["proposer"] == "bob"
    assert shown["metadata"]["field_spec"] == {"type": "integer", "minimum": 1}
    assert shown["tally"]["problems"] == []
    assert made["commit"] == shown["tip"]
    cli_made = open_add_field(cli, governed, "sample_size_cli")
    assert git(governed.path, "cat-file", "-p", made["commit"]).count("gpgsig") == 1
    # the API's proposal commit has the same layout as the CLI's
    assert sorted(governed.git.changed_paths(shown["base"], made["commit"])) == sorted(
        p.replace(cli_made, made["id"])
        for p in governed.git.changed_paths(shown["base"], tip(governed, cli_made)))


def test_proposal_draft_must_be_signed_as_drafted(governed: Governed, url: str) -> None:
    public = sshsig.PublicKey.parse(governed.keys["alice"].public.read_text()).openssh()
    draft = httpx.post(url + "/api/senate/schema-proposal/draft", json={
        "proposer_key": public, "artifact_type": "experiment", "change_type": "add_field",
        "field": "power2", "field_spec": {"type": "number"}, "rationale": RATIONALE,
    }).json()
    before = all_refs(governed)
    unsigned = draft["commit"]
    files = draft["files"]
    answer = httpx.post(url + "/api/senate/schema-proposal",
                        json={"commit": unsigned, "files": files})
    assert answer.status_code == 403 and answer.json()["error"]["reason"] == "unsigned"
    by_bob = sign_commit(key(governed, "bob"), unsigned.encode()).decode()
    answer = httpx.post(url + "/api/senate/schema-proposal",
                        json={"commit": by_bob, "files": files})
    assert answer.status_code == 403 and answer.json()["error"]["reason"] == "author_mismatch"
    edited = unsigned.replace("Use case:", "Use case (edited):")
    signed = sign_commit(key(governed, "alice"), edited.encode()).decode()
    answer = httpx.post(url + "/api/senate/schema-proposal",
                        json={"commit": signed, "files": files})
    assert answer.status_code == 422, answer.text
    # the files travel with the commit, and must be the tree's files exactly
    tampered = {**files, "migration.sql": files["migration.sql"] + "DELETE FROM artifacts;\n"}
    answer = httpx.post(url + "/api/senate/schema-proposal", json={
        "commit": sign_commit(key(governed, "alice"), unsigned.encode()).decode(),
        "files": tampered})
    assert answer.status_code == 422, answer.text
    assert all_refs(governed) == before
    good = sign_commit(key(governed, "alice"), unsigned.encode()).decode()
    answer = httpx.post(url + "/api/senate/schema-proposal", json={"commit": good, "files": files})
    assert answer.status_code == 201, answer.text
    assert answer.json()["id"] == draft["id"]
    again = httpx.post(url + "/api/senate/schema-proposal", json={"commit": good, "files": files})
    assert again.status_code == 409  # main unchanged but the branch exists now
    unknown = httpx.post(url + "/api/senate/schema-proposal/draft", json={
        "proposer_key": governed.keys["dave"].public.read_text(), "artifact_type": "experiment",
        "change_type": "add_field", "field": "x", "field_spec": {}, "rationale": RATIONALE})
    assert unknown.status_code == 403


# -- bad input: a 4xx with a JSON error, and nothing written --------------------------
def error_of(answer: httpx.Response, status: int) -> dict[str, Any]:
    assert answer.status_code == status, answer.text
    body = answer.json()
    assert set(body) == {"error"} and {"kind", "message", "hint"} <= set(body["error"])
    error: dict[str, Any] = body["error"]
    return error


def test_bad_requests(governed: Governed, pid: str, url: str) -> None:
    vote_url = f"{url}/api/senate/schema-proposal/{pid}/vote"
    before = (all_refs(governed), objects(governed))
    error_of(httpx.post(vote_url, content=b"{not json", headers={
        "content-type": "application/json"}), 422)
    error_of(httpx.post(vote_url, json={"commit": "x", "extra": 1}), 422)
    error_of(httpx.post(vote_url, json=["commit"]), 422)
    error_of(httpx.post(vote_url, json={"commit": "tree 00\n\nhello"}), 422)
    big = {"commit": "x" * 70_000}
    assert error_of(httpx.post(vote_url, json=big), 413)["reason"] == "body_too_large"
    chunked = httpx.post(vote_url, content=iter([b'{"commit": "', b"y" * 70_000, b'"}']))
    error_of(chunked, 413)
    error_of(httpx.get(url + "/api/schemas/Bad.Name"), 422)
    error_of(httpx.get(url + "/api/schemas/nonexistent"), 404)
    error_of(httpx.post(url + "/api/schemas/..%2Fsenate/validate", json={"documents": []}), 404)
    error_of(httpx.get(url + "/api/senate/schema-proposal/..%2F..%2Fetc"), 404)
    error_of(httpx.get(url + "/api/senate/schema-proposal/0001-..x"), 422)
    error_of(httpx.get(url + "/api/senate/schema-proposal/9999-none"), 404)
    error_of(httpx.get(url + "/api/senate/schema-proposals", params={"status": "x"}), 422)
    error_of(httpx.post(url + "/api/senate/schema-proposal/draft", json={}), 422)
    assert (all_refs(governed), objects(governed)) == before


def test_forged_and_wrong_votes(governed: Governed, pid: str, url: str) -> None:
    vote_url = f"{url}/api/senate/schema-proposal/{pid}/vote"
    before = (all_refs(governed), objects(governed))

    def post(data: bytes) -> httpx.Response:
        return httpx.post(vote_url, json={"commit": data.decode()})

    good = signed_vote(governed, pid, "alice")
    unsigned = good[: good.index(b"gpgsig ")] + good[good.index(b"\n\n") + 1:]
    assert error_of(post(unsigned), 403)["reason"] == "unsigned"
    assert error_of(post(signed_vote(governed, pid, "dave")), 403)["reason"] == "unknown_key"
    mismatch = signed_vote(governed, pid, "alice", author="bob")
    assert error_of(post(mismatch), 403)["reason"] == "author_mismatch"
    tampered = good.replace(b"Senate-Vote: approve", b"Senate-Vote: reject ")
    tampered = tampered.replace(b"vote(" + pid.encode() + b"): approve",
                                b"vote(" + pid.encode() + b"): reject")
    assert error_of(post(tampered), 403)["reason"] == "bad_signature"
    stale = error_of(post(signed_vote(governed, pid, "alice").replace(
        tip(governed, pid).encode(), b"0" * 40)), 409)
    assert stale["reason"] == "stale_parent" and stale["details"]["tip"] == tip(governed, pid)
    comment = signed_vote(governed, pid, "bob", None, reason="a thought")
    assert error_of(post(comment), 422)["reason"] == "wrong_kind"
    other = signed_vote(governed, pid, "bob").replace(
        f"Senate-Proposal: {pid}".encode(), b"Senate-Proposal: 0099-other")
    assert error_of(post(other), 422)["reason"] in {"ambiguous", "wrong_proposal"}
    assert (all_refs(governed), objects(governed)) == before
    assert post(good).status_code == 201


def archive_by_hand(g: Governed, pid: str) -> None:
    """The archived layout (an archive record on main naming the tip, tag archive/<id>);
    the API reads the location, whoever wrote it (the audit judges the writer)."""
    repo = g.git
    main, t = repo.resolve("main"), tip(g, pid)
    meta = repo.read_file(t, f"proposals/{pid}/proposal.json")
    assert meta is not None
    tree = repo.build_tree(main, {f"proposals/archive/{pid}/proposal.json": meta})
    who = Person("senate", "senate@agents.invalid")
    commit = repo.write_commit(repo.commit_buffer(
        tree, [main], who, who, f"archive({pid}): x\n\nSenate-Proposal: {pid}\n"
        f"Senate-Archive-Reason: withdrawn\nSenate-Tip: {t}\n"))
    repo.update_ref("refs/heads/main", commit, main)
    repo.create_ref(f"refs/tags/archive/{pid}", t)
    repo.delete_ref(f"refs/heads/proposal/{pid}", t)


def merge_by_hand(g: Governed, pid: str) -> None:
    repo = g.git
    main, t = repo.resolve("main"), tip(g, pid)
    who = Person("senate", "senate@agents.invalid")
    merge = repo.write_commit(repo.commit_buffer(
        repo.commit_tree(t), [main, t], who, who, f"merge({pid}): x\n\nSenate-Proposal: {pid}\n"))
    repo.update_ref("refs/heads/main", merge, main)


@pytest.mark.parametrize("close", [archive_by_hand, merge_by_hand])
def test_no_votes_on_closed_proposals(governed: Governed, pid: str, url: str,
                                      client: SenateClient, close: Any) -> None:
    ballot = signed_vote(governed, pid, "alice")
    close(governed, pid)
    answer = httpx.post(f"{url}/api/senate/schema-proposal/{pid}/vote",
                        json={"commit": ballot.decode()})
    assert error_of(answer, 409)["reason"] == "proposal_closed"
    with pytest.raises(ApiError) as caught:
        client.comment(pid, key(governed, "bob"), "too late?")
    assert caught.value.reason == "proposal_closed"


# -- review pages --------------------------------------------------------------------
def test_pages_escape_agent_text(governed: Governed, cli: Any, client: SenateClient,
                                 url: str) -> None:
    evil = "<script>alert(1)</script>"
    made = client.propose(
        key(governed, "alice"), artifact_type="experiment", change_type="add_field",
        field="evil_field", field_spec={"type": "string", "description": evil},
        rationale=f"{RATIONALE}\n{evil}",
    )
    client.vote(made["id"], key(governed, "bob"), "approve", f"sure {evil}")
    client.comment(made["id"], key(governed, "carol"), f"hmm {evil}")
    page = httpx.get(f"{url}/senate/proposals/{made['id']}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "<script>" not in page.text
    assert page.text.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 4
    assert "evil_field" in page.text
    listing = httpx.get(url + "/senate/proposals", params={"status": "open"})
    assert made["id"] in listing.text and "<script>" not in listing.text
    registry = httpx.get(url + "/senate/schemas")
    assert registry.status_code == 200 and 'id="type-experiment"' in registry.text


def test_page_shows_breaking_change_and_ignored_vote(
    governed: Governed, cli: Any, client: SenateClient, url: str, pid: str
) -> None:
    client.vote(pid, key(governed, "alice"), "approve", "first")
    client.vote(pid, key(governed, "alice"), "reject", "changed my mind")
    made = client.propose(key(governed, "bob"), artifact_type="experiment",
                          change_type="add_field", field="must_have",
                          field_spec={"type": "string"}, required=True, rationale=RATIONALE,
                          backward_compatible=False)
    assert made["rule"] == "unanimous"
    page = httpx.get(f"{url}/senate/proposals/{made['id']}").text
    assert 'class="breaking"' in page and "BREAKS" in page
    page = httpx.get(f"{url}/senate/proposals/{pid}").text
    assert "superseded" in page and "changed my mind" in page


def test_pages_answer_errors_as_pages(url: str) -> None:
    missing = httpx.get(f"{url}/senate/proposals/0099-nothing-here")
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("text/html")
    assert "no proposal" in missing.text and "All proposals" in missing.text
    bad = httpx.get(url + "/senate/proposals/..%2F..%2Fetc")
    assert 400 <= bad.status_code < 500 and "<script" not in bad.text
    api = httpx.get(f"{url}/api/senate/schema-proposal/0099-nothing-here")
    assert api.status_code == 404 and api.json()["error"]["message"].startswith("no proposal")


def test_openapi_documents_the_signed_write_flow(url: str) -> None:
    spec = httpx.get(url + "/openapi.json").json()
    assert "/api/senate/schema-proposal/{proposal_id}/vote" in spec["paths"]
    assert "gpgsig" in spec["info"]["description"]
    assert httpx.get(url + "/docs").status_code == 200


def test_serve_command_exists(governed: Governed) -> None:
    out = subprocess.run(
        [sys.executable, "-c", "from senate.cli.main import main; main()",
         "serve", "--help"],
        capture_output=True, text=True, env={"PYTHONPATH": str(Path(__file__).parent.parent
                                                               / "tools")},
    )
    assert out.returncode == 0 and "--port" in out.stdout


def test_deep_json_is_bounded(governed: Governed, client: SenateClient, url: str) -> None:
    def nest(n: int) -> Any:
        spec: Any = {}
        for _ in range(n):
            spec = {"items": spec}
        return spec

    public = governed.keys["alice"].public.read_text()
    draft = {"proposer_key": public, "artifact_type": "experiment",
             "change_type": "add_field", "field": "deep", "rationale": RATIONALE}
    too_deep = httpx.post(url + "/api/senate/schema-proposal/draft",
                          json={**draft, "field_spec": nest(300)})
    assert "nested deeper" in error_of(too_deep, 422)["message"]
    error_of(httpx.post(url + "/api/schemas/experiment/validate",
                        json={"documents": [nest(300)]}), 422)
    made = client.propose(key(governed, "alice"), **{
        k: v for k, v in draft.items() if k != "proposer_key"}, field_spec=nest(60))
    assert httpx.get(f"{url}/api/senate/schema-proposal/{made['id']}").status_code == 200
    assert httpx.get(f"{url}/senate/proposals/{made['id']}").status_code == 200


# -- a new key co-signs a governance proposal through the API -------------------------
def test_a_new_key_cosigns_through_the_api_and_nothing_else_does(
    governed: Governed, cli: Any, client: SenateClient
) -> None:
    from votekit import vote

    g = governed
    opened = cli("--repo", g.path, "govern", "add", f"dave={g.keys['dave'].public}",
                 "--key", g.keys["alice"].private, "--rationale",
                 "Dave reviews statistics; use case: power analyses.", "--json")
    assert opened.code == 0, opened.out + opened.err
    pid = opened.json()["id"]
    for agent in ("alice", "bob", "carol"):
        vote(g, pid, agent, "approve")
    waiting = cli("--repo", g.path, "tally", pid, "--json").json()
    assert waiting["status"] != "approved" and "co-sign" in " ".join(waiting["problems"])
    before = (objects(g), all_refs(g))
    # the new key may only approve; an outsider's key, even claiming dave's name, is refused
    outsider = Ed25519PrivateKey.generate()
    for attempt in (lambda: client.cosign(pid, outsider, "dave"),
                    lambda: client.cosign(pid, outsider, "mallory")):
        with pytest.raises(ApiError) as refused:
            attempt()
        assert refused.value.status == 403 and refused.value.reason == "unknown_key"
    me = Identity("dave", default_email("dave"), 1_800_000_000)
    t = tip(g, pid)
    rejecting = sign_commit(key(g, "dave"), commit_bytes(
        g.git.commit_tree(t), [t], me, me,
        format_vote_message(pid, "reject", content_id(g, pid), "no")))
    answer = client.http.post(f"/api/senate/schema-proposal/{pid}/vote",
                              json={"commit": rejecting.decode()})
    assert answer.status_code == 403, answer.text
    assert (objects(g), all_refs(g)) == before  # refusals write nothing
    written = client.cosign(pid, key(g, "dave"), "dave", reason="my key")
    assert written["agent"] == "dave" and written["tally"]["status"] == "approved"
    assert written["tally"]["governance"]["cosigned"] == ["dave"]
    assert cli("--repo", g.path, "merge", pid, "--json").code == 0
    assert cli("--repo", g.path, "audit").code == 0
