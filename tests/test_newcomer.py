"""A newcomer's first hour (issue 12): clear errors instead of tracebacks or false calm."""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest
from conftest import Key

# --- item 3: a folder that cannot be created -------------------------------------------


def unwritable(tmp_path: Path) -> Path:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n")
    return blocker / "repo"  # below a regular file: no one can create it


def test_init_in_a_folder_that_cannot_be_created(tmp_path: Path, keys: dict[str, Key],
                                                 cli: Any) -> None:
    target = unwritable(tmp_path)
    result = cli("init", target, "--agent", f"alice={keys['alice'].public}")
    assert result.code == 2
    assert f"error: cannot create {target}" in result.err and "Traceback" not in result.err
    assert not target.exists()


def test_demo_keep_in_a_folder_that_cannot_be_created(tmp_path: Path, cli: Any) -> None:
    target = unwritable(tmp_path)
    result = cli("demo", "--keep", target)
    assert result.code == 2 and f"error: cannot create {target}" in result.err


# --- item 8: the private key file given to --agent ---------------------------------------


def test_init_with_a_private_key_names_the_public_one(tmp_path: Path, keys: dict[str, Key],
                                                      cli: Any) -> None:
    result = cli("init", tmp_path / "r", "--agent", f"alice={keys['alice'].private}")
    assert result.code == 2
    assert "is a private key" in result.err and "key type" not in result.err
    assert f"{keys['alice'].private}.pub" in result.err
    assert not (tmp_path / "r").exists()


# --- item 9: a repository with main but no senate.toml ---------------------------------


@pytest.fixture
def plain(tmp_path: Path) -> Path:
    path = tmp_path / "plain"
    for args in (["init", "-q", "-b", "main", str(path)],
                 ["-C", str(path), "-c", "user.name=x", "-c", "user.email=x@example.invalid",
                  "commit", "-q", "--allow-empty", "-m", "not governed"]):
        subprocess.run(["git", *args], check=True, capture_output=True)
    return path


@pytest.mark.parametrize("command", [
    ["audit"], ["schema", "list"], ["schema", "show", "experiment"], ["roster", "list"],
    ["roster", "allowed-signers"], ["proposals"], ["tally", "0001-x"], ["check", "0001-x"],
    ["show", "0001-x"], ["migrate", "generate"], ["migrate", "verify"],
    ["diff", "experiment@main", "experiment@main"],
])
def test_every_command_refuses_an_ungoverned_repository(plain: Path, cli: Any,
                                                        command: list[str]) -> None:
    result = cli("--repo", plain, *command)
    assert result.code == 2, result.out + result.err
    assert "not a governed repository" in result.err
    assert "ok:" not in result.out


def test_validate_refuses_an_ungoverned_repository(plain: Path, tmp_path: Path,
                                                   cli: Any) -> None:
    doc = tmp_path / "doc.json"
    doc.write_text("{}")
    result = cli("--repo", plain, "validate", "experiment", doc, "--json")
    assert result.code == 2 and result.json()["error"]["kind"] == "not_found"
    assert "not a governed repository" in result.json()["error"]["message"]


# --- item 4: an invalid schema at the revision validated against -----------------------


def commit_invalid_schema(repo: Path, branch: str) -> None:
    """A commit outside governance whose experiment schema uses an unknown type."""
    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), "-c", "user.name=x",
                        "-c", "user.email=x@example.invalid", *args],
                       check=True, capture_output=True)

    git("checkout", "-q", "-B", branch)
    path = repo / "schemas" / "experiment.json"
    path.write_text('{"$schema": "https://json-schema.org/draft/2020-12/schema", '
                    '"x-senate-version": 1, "type": "object", '
                    '"properties": {"n": {"type": "integer-ish"}}}\n')
    git("commit", "-q", "-am", "an invalid schema")


def test_validate_rev_with_an_invalid_schema_is_a_clear_error(governed: Any, tmp_path: Path,
                                                              cli: Any) -> None:
    commit_invalid_schema(governed.path, "broken")
    doc = tmp_path / "doc.json"
    doc.write_text('{"n": 1}')
    result = cli("--repo", governed.path, "validate", "experiment", doc, "--rev", "broken")
    assert result.code == 2, result.err
    assert "is not a valid JSON Schema" in result.err and "Traceback" not in result.err


def test_api_validate_with_an_invalid_schema_answers_422(governed: Any) -> None:
    import httpx
    from apikit import serve_in_thread

    commit_invalid_schema(governed.path, "main")
    with serve_in_thread(governed.path) as url:
        answer = httpx.post(url + "/api/schemas/experiment/validate",
                            json={"documents": [{"n": 1}]})
    assert answer.status_code == 422
    assert "is not a valid JSON Schema" in answer.json()["error"]["message"]


# --- item 6: the hook fails closed on input it cannot read ------------------------------


def hook_check(governed: Any, stdin: str) -> subprocess.CompletedProcess[str]:
    from remotekit import senate_cmd, senate_env

    bare = governed.path.parent / "bare.git"
    if not bare.exists():
        subprocess.run(["git", "clone", "-q", "--bare", str(governed.path), str(bare)],
                       check=True)
    env = {**senate_env(), "GIT_DIR": str(bare)}
    return subprocess.run(senate_cmd("hook", "check"), input=stdin, capture_output=True,
                          text=True, env=env, cwd=bare, timeout=60)


@pytest.mark.parametrize("line", ["garbage", "a b", f"{'0' * 40} not-an-id refs/heads/main",
                                  f"{'0' * 40} {'1' * 40} refs/heads/x extra"])
def test_hook_check_refuses_a_line_it_cannot_parse(governed: Any, line: str) -> None:
    good = f"{'0' * 40} {'0' * 40} refs/heads/other"
    done = hook_check(governed, f"{good}\n{line}\n")
    assert done.returncode == 1
    assert "refused the push" in done.stderr and "line 2" in done.stderr
    assert "Traceback" not in done.stderr


def test_hook_check_accepts_nothing_to_check(governed: Any) -> None:
    assert hook_check(governed, "").returncode == 0


def test_hook_says_what_retry_after_means(governed: Any) -> None:
    from senate.sharing import RETRY_RE

    done = hook_check(governed, f"{'1' * 40} {'2' * 40} refs/heads/main\n")
    assert done.returncode == 1 and "it moved while you pushed" in done.stderr
    [line] = [x for x in done.stderr.splitlines() if "retry after" in x]
    assert "queued push(es) ahead of yours" in line and RETRY_RE.search(line)


# --- item 19: the Python client takes a key file path as well as a loaded key ----------


def test_client_accepts_key_paths(governed: Any) -> None:
    from apikit import serve_in_thread
    from conftest import RATIONALE

    from senate.api.client import SenateClient

    with serve_in_thread(governed.path) as url, SenateClient(url) as client:
        made = client.propose(str(governed.keys["bob"].private), artifact_type="experiment",
                              change_type="add_field", field="lab_notes",
                              field_spec={"type": "string"}, rationale=RATIONALE)
        voted = client.vote(made["id"], governed.keys["alice"].private, "approve", "fine")
        assert voted["agent"] == "alice" and voted["tally"]["approve"] == 1
        with pytest.raises(Exception, match="cannot read key file"):
            client.vote(made["id"], str(governed.path / "no-such-key"), "approve")
