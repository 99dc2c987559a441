from __future__ import annotations

import subprocess
import tomllib
from pathlib import Path
from typing import Any

from conftest import Governed, Key

SEED_TYPES = 18


def test_init_lays_out_a_governed_repo(governed: Governed, cli: Any) -> None:
    path = governed.path
    log = subprocess.run(
        ["git", "-C", str(path), "log", "--format=%H", "main"], capture_output=True, text=True,
        check=True,
    )
    assert len(log.stdout.split()) == 1
    head = subprocess.run(["git", "-C", str(path), "symbolic-ref", "HEAD"],
                          capture_output=True, text=True, check=True)
    assert head.stdout.strip() == "refs/heads/main"
    status = subprocess.run(["git", "-C", str(path), "status", "--porcelain"],
                            capture_output=True, text=True, check=True)
    assert status.stdout == ""
    policy = tomllib.loads((path / "senate.toml").read_text())
    assert [a["name"] for a in policy["agents"]] == ["alice", "bob", "carol"]
    assert all(a["vote"] is True for a in policy["agents"])
    assert policy["agents"][0]["key"].startswith("ssh-ed25519 ")
    assert policy["rules"] == {"approval_numerator": 2, "approval_denominator": 3}
    assert policy["compatibility"] == {"mode": "backward", "open_content": "lenient"}
    assert policy["storage"]["artifacts_table"] == "artifacts"
    assert len(list((path / "schemas").glob("*.json"))) == SEED_TYPES
    assert (path / "proposals").is_dir()
    assert (path / ".github/workflows/vote-check.yml").is_file()
    assert (path / ".github/workflows/migrate.yml").is_file()


def test_init_json_output(tmp_path: Path, keys: dict[str, Key], cli: Any) -> None:
    result = cli("init", tmp_path / "r", "--agent", f"alice={keys['alice'].public}", "--json")
    assert result.code == 0
    data = result.json()
    assert set(data) == {"path", "commit", "agents", "types"}
    assert data["agents"] == ["alice"] and len(data["types"]) == SEED_TYPES


def test_init_refuses_a_non_empty_folder(tmp_path: Path, keys: dict[str, Key], cli: Any) -> None:
    target = tmp_path / "busy"
    target.mkdir()
    (target / "notes.txt").write_text("keep me")
    result = cli("init", target, "--agent", f"alice={keys['alice'].public}")
    assert result.code == 2
    assert "not empty" in result.err
    assert [p.name for p in target.iterdir()] == ["notes.txt"]
    assert (target / "notes.txt").read_text() == "keep me"


def test_init_refuses_a_malformed_key(tmp_path: Path, keys: dict[str, Key], cli: Any) -> None:
    bad = tmp_path / "bad.pub"
    bad.write_text("ssh-ed25519 AAAAnotbase64!!! alice\n")
    result = cli("init", tmp_path / "r", "--agent", f"alice={bad}")
    assert result.code == 2
    assert "malformed" in result.err
    assert not (tmp_path / "r").exists()


def test_init_refuses_a_private_key_or_rsa(tmp_path: Path, keys: dict[str, Key], cli: Any) -> None:
    result = cli("init", tmp_path / "r", "--agent", f"alice={keys['alice'].private}")
    assert result.code == 2 and not (tmp_path / "r").exists()
    rsa = tmp_path / "rsa.pub"
    rsa.write_text("ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQC7 x\n")
    result = cli("init", tmp_path / "r", "--agent", f"alice={rsa}")
    assert result.code == 2 and "ed25519" in result.err


def test_init_refuses_duplicate_agents(tmp_path: Path, keys: dict[str, Key], cli: Any) -> None:
    result = cli(
        "init", tmp_path / "r",
        "--agent", f"alice={keys['alice'].public}",
        "--agent", f"alice={keys['bob'].public}",
    )
    assert result.code == 2 and "duplicate agent name" in result.err
    assert not (tmp_path / "r").exists()
    result = cli(
        "init", tmp_path / "r",
        "--agent", f"alice={keys['alice'].public}",
        "--agent", f"bob={keys['alice'].public}",
    )
    assert result.code == 2 and "share one public key" in result.err
    assert not (tmp_path / "r").exists()


def test_init_refuses_bad_agent_option(tmp_path: Path, keys: dict[str, Key], cli: Any) -> None:
    for option in ("alice", f"Alice Smith={keys['alice'].public}", "alice=/no/such/file"):
        result = cli("init", tmp_path / "r", "--agent", option)
        assert result.code == 2, option
        assert result.err.startswith("error: ")
        assert not (tmp_path / "r").exists()


def test_init_in_an_existing_empty_folder_keeps_it_on_failure(
    tmp_path: Path, keys: dict[str, Key], cli: Any
) -> None:
    target = tmp_path / "empty"
    target.mkdir()
    bad = tmp_path / "bad.pub"
    bad.write_text("garbage")
    assert cli("init", target, "--agent", f"alice={bad}").code == 2
    assert target.is_dir() and not any(target.iterdir())
    assert cli("init", target, "--agent", f"alice={keys['alice'].public}").code == 0
