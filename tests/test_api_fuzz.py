"""schemathesis fuzzes every operation of /openapi.json: no input may cause a 500."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from apikit import serve_in_thread
from conftest import Governed, open_add_field

SCHEMATHESIS = shutil.which("schemathesis") or str(Path(sys.executable).parent / "schemathesis")


@pytest.mark.skipif(not Path(SCHEMATHESIS).exists(), reason="pip install schemathesis")
def test_fuzz_finds_no_server_errors(governed: Governed, cli: Any, tmp_path: Path) -> None:
    pid = open_add_field(cli, governed)
    # Real identifiers, so generated requests also reach the code behind the 404s.
    (tmp_path / "schemathesis.toml").write_text(
        f'[parameters]\n"path.artifact_type" = "experiment"\n"path.proposal_id" = "{pid}"\n'
    )
    with serve_in_thread(governed.path) as url:
        run = subprocess.run(
            [SCHEMATHESIS, "run", f"{url}/openapi.json", "--checks", "not_a_server_error",
             "--phases", "examples,coverage,fuzzing", "--max-examples", "40",
             "--max-time", "60", "--workers", "1", "--seed", "20261121",
             "--generation-database", "none", "--no-color", "--request-timeout", "30",
             "--report-dir", str(tmp_path / "report")],
            capture_output=True, text=True, timeout=400, cwd=tmp_path,
        )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-2000:]
    summary = run.stdout[run.stdout.rindex("Test cases:"):]
    assert " passed" in summary and "failed" not in summary and "errored" not in summary
