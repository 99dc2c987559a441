"""Shared fixtures: real keys, real governed repositories, the CLI run in-process."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import settings

from senate.cli.main import run
from senate.git import GitRepo

# CI replays the same examples every run (a red CI must mean a regression, not a new
# random draw); local runs keep exploring and keep their failure database.
settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@dataclass
class Key:
    name: str
    private: Path
    public: Path


def make_key(folder: Path, name: str) -> Key:
    """A real OpenSSH ed25519 key pair, as `ssh-keygen -t ed25519 -N ''` writes it."""
    folder.mkdir(parents=True, exist_ok=True)
    key = Ed25519PrivateKey.generate()
    private = folder / name
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )
    private.chmod(0o600)
    public = folder / f"{name}.pub"
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        + f" {name}\n".encode()
    )
    return Key(name, private, public)


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@dataclass
class Governed:
    path: Path
    keys: dict[str, Key] = field(default_factory=dict)

    @property
    def git(self) -> GitRepo:
        return GitRepo.open(self.path)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    def invoke(*args: str | Path) -> CliResult:
        capsys.readouterr()
        code = run([str(a) for a in args])
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return invoke


@pytest.fixture
def keys(tmp_path: Path) -> dict[str, Key]:
    return {n: make_key(tmp_path / "keys", n) for n in ("alice", "bob", "carol", "dave")}


@pytest.fixture
def governed(tmp_path: Path, keys: dict[str, Key], cli: Any) -> Governed:
    """A governed repo with a roster of three voting agents (dave is not on it)."""
    path = tmp_path / "repo"
    result = cli(
        "init", path, *[a for n in ("alice", "bob", "carol")
                        for a in ("--agent", f"{n}={keys[n].public}")]
    )
    assert result.code == 0, result.err
    return Governed(path, keys)


ADD_FIELD_SPEC = '{"type": "number", "minimum": 0, "maximum": 1}'
RATIONALE = (
    "Reviewers need the statistical power of each experiment. "
    "Use case: the meta-analysis agent weights studies by power."
)


def propose_args(g: Governed, *extra: str, key: str = "alice") -> list[str | Path]:
    return ["--repo", g.path, "propose", *extra, "--key", g.keys[key].private]


def open_add_field(cli: Any, g: Governed, field: str = "statistical_power") -> str:
    result = cli(
        *propose_args(
            g, "--type", "experiment", "--change", "add_field", "--field", field,
            "--spec", ADD_FIELD_SPEC, "--rationale", RATIONALE, "--json",
        )
    )
    assert result.code == 0, result.out + result.err
    proposal_id: str = result.json()["id"]
    return proposal_id
