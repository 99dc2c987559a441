"""senate.rawcommit against what real git hands to ssh-keygen when it verifies a commit.

Every commit here is real: signed by `git commit -S` with a fresh ed25519 key, or crafted
with `git hash-object --literally` and signed with `ssh-keygen -Y sign`. git runs with a
gpg.ssh.program wrapper that records the payload and signature git passes to ssh-keygen,
so "what git verifies" is observed, not assumed.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senate.rawcommit import RawCommit, parse_commit, split_signature

EMAIL = "agent@example.com"
WRAPPER = """#!/bin/sh
# record what git hands to ssh-keygen for verification, then run the real one
case " $* " in
*" verify "*|*" check-novalidate "*)
  prev=""
  for a in "$@"; do [ "$prev" = "-s" ] && cp "$a" "{out}/signature"; prev="$a"; done
  tee "{out}/payload" | ssh-keygen "$@";;
*) exec ssh-keygen "$@";;
esac
"""


@dataclass(frozen=True)
class Repo:
    path: Path
    key: Path
    allowed: Path
    record: Path

    @property
    def env(self) -> dict[str, str]:
        # default config only, and no GIT_* variables from the calling environment
        env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
        home = str(self.path.parent)
        env.update(HOME=home, GIT_CONFIG_NOSYSTEM="1", GIT_CONFIG_GLOBAL=os.devnull)
        return env

    def git(self, *args: str, stdin: bytes | None = None, check: bool = True) -> bytes:
        done = subprocess.run(
            ["git", *args], cwd=self.path, env=self.env, input=stdin,
            capture_output=True, check=check, timeout=30,
        )
        return done.stdout

    def raw(self, sha: str) -> bytes:
        return self.git("cat-file", "commit", sha)

    def write(self, data: bytes) -> str:
        args = ("hash-object", "-t", "commit", "-w", "--literally", "--stdin")
        return self.git(*args, stdin=data).decode().strip()

    def sign(self, payload: bytes) -> bytes:
        return run_ok(["ssh-keygen", "-Y", "sign", "-n", "git", "-f", str(self.key)], payload)

    def git_verdict(self, sha: str) -> tuple[str, bytes | None, bytes | None]:
        """(%G?, payload, signature) as git saw them; None where git called no verifier."""
        for f in ("payload", "signature"):
            (self.record / f).unlink(missing_ok=True)
        status = self.git("log", "-1", "--format=%G?", sha, check=False).decode().strip()
        recorded = [self.record / f for f in ("payload", "signature")]
        payload, sig = (p.read_bytes() if p.exists() else None for p in recorded)
        return status, payload, sig

    def ssh_verifies(self, signature: bytes, payload: bytes) -> bool:
        sig = self.path.parent / "our.sig"
        sig.write_bytes(signature)
        args = ["ssh-keygen", "-Y", "verify", "-f", str(self.allowed), "-I", EMAIL, "-n", "git"]
        done = subprocess.run([*args, "-s", str(sig)], input=payload, capture_output=True)
        return done.returncode == 0


def run_ok(args: list[str], stdin: bytes | None = None) -> bytes:
    return subprocess.run(args, input=stdin, capture_output=True, check=True, timeout=30).stdout


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Repo:
    base = tmp_path_factory.mktemp("raw")
    key, record, path = base / "key", base / "record", base / "repo"
    record.mkdir()
    run_ok(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "", "-f", str(key)])
    allowed = base / "allowed_signers"
    allowed.write_text(f"{EMAIL} {(base / 'key.pub').read_text()}")
    wrapper = base / "ssh-wrapper"
    wrapper.write_text(WRAPPER.replace("{out}", str(record)))
    wrapper.chmod(0o755)
    r = Repo(path, key, allowed, record)
    run_ok(["git", "init", "-q", str(path)])
    for k, v in {
        "user.name": "Agent Smith", "user.email": EMAIL, "gpg.format": "ssh",
        "user.signingkey": str(key), "gpg.ssh.allowedSignersFile": str(allowed),
        "gpg.ssh.program": str(wrapper),
    }.items():
        r.git("config", k, v)
    return r


def commit(repo: Repo, message: str, *extra: str) -> str:
    repo.git("commit", "-q", "-S", "--allow-empty", "--cleanup=verbatim", *extra,
             "-F", "-", stdin=message.encode())
    return repo.git("rev-parse", "HEAD").decode().strip()


def reference_payload(raw: bytes) -> bytes:
    """Independent, naive reading: drop the gpgsig header and its continuation lines."""
    head, _, body = raw.partition(b"\n\n")
    kept, skipping = [], False
    for line in head.split(b"\n"):
        skipping = line.startswith(b"gpgsig ") or (skipping and line.startswith(b" "))
        if not skipping:
            kept.append(line)
    return b"\n".join(kept) + b"\n\n" + body


def signed_object(repo: Repo, payload: bytes, header: bytes = b"gpgsig") -> bytes:
    """Sign a payload and insert the signature header where git puts it."""
    sig = repo.sign(payload).rstrip(b"\n").replace(b"\n", b"\n ")
    head, _, body = payload.partition(b"\n\n")
    return head + b"\n" + header + b" " + sig + b"\n\n" + body


# --- real commits -----------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    ["vote(0007-x): approve\n\nbecause\n\nSenate-Vote: approve\n", "one line", "é ü 漢字\n"],
)
def test_git_commit_S_round_trip(repo: Repo, message: str) -> None:
    sha = commit(repo, message)
    raw = repo.raw(sha)
    rc = parse_commit(raw)
    assert rc.problems == ()
    assert rc.signature is not None
    assert rc.signature.startswith(b"-----BEGIN SSH SIGNATURE-----\n")
    assert rc.payload == reference_payload(raw)
    assert rc.message == message.encode()
    assert repo.ssh_verifies(rc.signature, rc.payload)
    assert repo.git_verdict(sha) == ("G", rc.payload, rc.signature)
    assert rc.author is not None and rc.committer is not None
    assert (rc.author.name, rc.author.email) == ("Agent Smith", EMAIL)
    assert rc.tree == repo.git("rev-parse", f"{sha}^{{tree}}").decode().strip()


def test_merge_commit_parents(repo: Repo) -> None:
    a = commit(repo, "a")
    b = commit(repo, "b")
    repo.git("checkout", "-q", "-b", "side", a)
    c = commit(repo, "c")
    repo.git("merge", "-q", "-S", "--no-ff", "-m", "merge", b)
    sha = repo.git("rev-parse", "HEAD").decode().strip()
    rc = parse_commit(repo.raw(sha))
    assert rc.parents == (c, b)
    assert rc.problems == ()
    assert repo.git_verdict(sha) == ("G", rc.payload, rc.signature)
    repo.git("checkout", "-q", "-")


def test_unsigned_commit(repo: Repo) -> None:
    repo.git("commit", "-q", "--allow-empty", "--no-gpg-sign", "-m", "plain")
    raw = repo.raw("HEAD")
    rc = parse_commit(raw)
    assert (rc.signature, rc.payload, rc.problems) == (None, raw, ())
    assert repo.git_verdict("HEAD")[0] == "N"


# --- crafted objects ----------------------------------------------------------------


@pytest.fixture(scope="module")
def base_payload(repo: Repo) -> bytes:
    return reference_payload(repo.raw(commit(repo, "vote(0001-a): approve\n\nok\n")))


def crafted(repo: Repo, data: bytes) -> tuple[str, RawCommit]:
    """Write the object; check our split equals git's and its verdict matches ssh-keygen."""
    sha = repo.write(data)
    rc = parse_commit(data)
    status, git_payload, git_sig = repo.git_verdict(sha)
    # An empty record means ssh-keygen gave up before reading the payload git piped to it
    # (it races git's write), so there is nothing of git's to compare against.
    if git_payload:
        assert (rc.payload, rc.signature) == (git_payload, git_sig)
    if rc.signature is not None and status in ("G", "B"):
        assert repo.ssh_verifies(rc.signature, rc.payload) == (status == "G")
    return status, rc


def test_signature_moved_into_body(repo: Repo, base_payload: bytes) -> None:
    sig = repo.sign(base_payload)
    status, rc = crafted(repo, base_payload + sig)
    assert status == "N"
    assert rc.signature is None
    assert "armored signature block inside the message" in rc.problems


@pytest.mark.parametrize("second_is_junk", [False, True])
def test_two_gpgsig_headers(repo: Repo, base_payload: bytes, second_is_junk: bool) -> None:
    one = signed_object(repo, base_payload)
    head, _, body = one.partition(b"\n\n")
    second = head[head.index(b"gpgsig ") :]
    if second_is_junk:
        second = second.replace(b"\n -----END", b"AAAAjunk\n -----END")
    status, rc = crafted(repo, head + b"\n" + second + b"\n\n" + body)
    assert rc.problems == ("more than one gpgsig header",)
    assert rc.signature is not None and rc.signature.count(b"BEGIN SSH SIGNATURE") == 2
    assert rc.payload == base_payload
    # git hands both blocks to ssh-keygen, which reads only the first: git says good even
    # when the second block is junk. That is why we flag it.
    assert status == "G"


def test_gpgsig_sha256_only(repo: Repo, base_payload: bytes) -> None:
    status, rc = crafted(repo, signed_object(repo, base_payload, b"gpgsig-sha256"))
    assert status == "N"
    assert rc.signature is None
    assert rc.payload == base_payload
    assert any("gpgsig-sha256" in p for p in rc.problems)


def test_gpgsig_and_gpgsig_sha256(repo: Repo, base_payload: bytes) -> None:
    one = signed_object(repo, base_payload)
    head, _, body = one.partition(b"\n\n")
    other = b"gpgsig-sha256 -----BEGIN SSH SIGNATURE-----\n junk\n -----END SSH SIGNATURE-----"
    status, rc = crafted(repo, head + b"\n" + other + b"\n\n" + body)
    assert status == "G"
    assert rc.payload == base_payload
    assert any("gpgsig-sha256" in p for p in rc.problems)


@pytest.mark.parametrize(
    ("edit", "problem", "git_status"),
    [
        (lambda p: p.replace(b"\n\nok\n", b"\n\nok\0hidden: Senate-Vote: reject\n"), "NUL", "G"),
        (lambda p: p.replace(b"\n", b"\r\n").replace(b"\r\n\r\n", b"\n\n", 1), "CR", ""),
        (lambda p: p.replace(b"\n\nok", b"\n\nok\r\nmore"), "CR", "G"),
        (lambda p: p.replace(b"\ncommitter ", b"\nauthor Eve <eve@x> 1 +0000\ncommitter "),
         "duplicate author header", "G"),
        (lambda p: p.replace(b"\ncommitter ", b"\nencoding ISO-8859-1\ncommitter "),
         "encoding header is not UTF-8", "G"),
        (lambda p: p.replace(b"\n\nok", b"\n\n\xff\xfe"), "message is not valid UTF-8", "G"),
        (lambda p: p.replace(b"Agent Smith", b"Agent \xe9"), "author is not valid UTF-8", "G"),
        (lambda p: p.replace(b"Agent Smith <", b"Agent Smith<"), "malformed author line", "G"),
        (lambda p: p.replace(b"\nauthor ", b"\nx-header y\nauthor "), "unknown header", "G"),
    ],
)
def test_signed_but_ambiguous(
    repo: Repo, base_payload: bytes, edit: object, problem: str, git_status: str
) -> None:
    """git's status: G = it accepts the signature; "" = it cannot even parse the object."""
    payload = edit(base_payload)  # type: ignore[operator]
    assert payload != base_payload
    status, rc = crafted(repo, signed_object(repo, payload))
    assert status == git_status
    assert any(problem in p for p in rc.problems)  # ...we flag it
    assert rc.payload == payload


def test_headers_out_of_order(repo: Repo, base_payload: bytes) -> None:
    lines = base_payload.split(b"\n")
    lines[1], lines[2] = lines[2], lines[1]  # parent/author before tree or parent
    rc = parse_commit(signed_object(repo, b"\n".join(lines)))
    assert "headers out of git's order" in rc.problems


@pytest.mark.parametrize("line", [b"gpgsig", b"gpgsig "])
def test_gpgsig_without_value(line: bytes) -> None:
    data = b"tree " + b"a" * 40 + b"\nauthor A <a> 1 +0000\ncommitter A <a> 1 +0000\n"
    rc = parse_commit(data + line + b"\n -----BEGIN SSH SIGNATURE-----\n\nmsg\n")
    assert "gpgsig header without a value on its first line" in rc.problems
    # git: "gpgsig" alone is an other signature (dropped), "gpgsig " starts ours
    assert (rc.signature is None) == (line == b"gpgsig")
    assert rc.payload == data + b"\nmsg\n"


def test_missing_headers() -> None:
    rc = parse_commit(b"\nmessage only\n")
    assert {"missing tree header", "missing author header", "missing committer header"} <= set(
        rc.problems
    )
    assert rc.message == b"message only\n"


def test_ident_fields() -> None:
    tree = b"tree " + b"a" * 40 + b"\n"
    who = b"author A B <a@b.c> 1700000000 -0130\ncommitter C <c@d> 0 +0000\n"
    rc = parse_commit(tree + who + b"\nmsg\n")
    assert rc.problems == ()
    assert rc.author is not None and rc.committer is not None
    assert (rc.author.name, rc.author.email, rc.author.timestamp, rc.author.tz_offset) == (
        "A B", "a@b.c", 1700000000, "-0130")
    assert rc.committer.timestamp == 0


# --- git's splitting rules on fragments, checked against git itself -----------------

_SIG = "-----BEGIN SSH SIGNATURE-----"


@settings(
    max_examples=60, deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_header_shuffles_match_git(repo: Repo, base_payload: bytes, data: st.DataObject) -> None:
    good = signed_object(repo, base_payload)
    head, _, body = good.partition(b"\n\n")
    lines = head.split(b"\n")
    extras = [b"gpgsig-sha256 x", b" cont", b"gpgsigx y", b"gpgsig", b"encoding UTF-8",
              b"mergetag object", b"gpgsig " + _SIG.encode(), b"", b" "]
    for _ in range(data.draw(st.integers(0, 4))):
        at = data.draw(st.integers(1, len(lines)))
        lines.insert(at, data.draw(st.sampled_from(extras)))
    status, rc = crafted(repo, b"\n".join(lines) + b"\n\n" + body)
    if rc.problems == ():  # git can read it, and (crafted checks) agrees with ssh-keygen on it
        assert status in ("G", "B")


@settings(max_examples=500)
@given(st.binary(max_size=400))
def test_never_raises_on_bytes(data: bytes) -> None:
    rc = parse_commit(data)
    if b"\ngpgsig" not in data and not data.startswith(b"gpgsig"):
        assert rc.payload == data and rc.signature is None


@settings(max_examples=500)
@given(
    st.lists(
        st.sampled_from(
            [b"tree " + b"0" * 40, b"parent " + b"1" * 40, b"author A <a> 1 +0000",
             b"committer A <a> 1 +0000", b"gpgsig x", b" y", b"gpgsig-sha256 z", b"",
             b"encoding latin1", b"\0", b"\r", b"author <", _SIG.encode()]
        ),
        max_size=12,
    )
)
def test_never_raises_on_header_soup(lines: list[bytes]) -> None:
    data = b"\n".join(lines)
    rc = parse_commit(data)
    payload, signature = split_signature(data)
    assert (rc.payload, rc.signature) == (payload, signature)
    assert len(rc.payload) + len(rc.signature or b"") <= len(data)
