"""`./run bench` (issue 12, item 2): every benchmark runs, failures are named, exit 1."""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fake_project(tmp_path: Path) -> Path:
    """A folder with the real `run` script, an installed-looking venv and two benchmarks."""
    project = tmp_path / "project"
    (project / "tests" / "bench").mkdir(parents=True)
    shutil.copy(ROOT / "run", project / "run")
    (project / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    venv_bin = project / ".venv" / "bin"
    venv_bin.mkdir(parents=True)
    (venv_bin / "python").symlink_to(sys.executable)
    (project / ".venv" / ".senate-installed").touch()
    bench = project / "tests" / "bench"
    (bench / "bench_a_fails.py").write_text("raise SystemExit('boom')\n")
    (bench / "bench_b_works.py").write_text("print('b ran')\n")
    return project


def test_a_failing_benchmark_does_not_hide_the_others(tmp_path: Path) -> None:
    project = fake_project(tmp_path)
    done = subprocess.run(["bash", str(project / "run"), "bench"], capture_output=True,
                          text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert "b ran" in done.stdout
    assert done.returncode == 1
    assert "failed benchmarks: tests/bench/bench_a_fails.py" in done.stderr


def test_cli_startup_benchmark_runs_the_projects_own_senate(tmp_path: Path) -> None:
    spec = importlib.util.spec_from_file_location(
        "bench_cli_startup", ROOT / "tests" / "bench" / "bench_cli_startup.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    command = module.senate_command()
    # No `senate` on PATH: the benchmark must still find the venv's (or the module).
    env = {**os.environ, "PATH": str(tmp_path)}
    done = subprocess.run([*command, "--help"], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=60)
    assert done.returncode == 0 and "Commands" in done.stdout
