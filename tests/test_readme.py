"""The README's shell examples run as pasted (issue 12, item 17).

Every ```sh block in the README carries a marker on the line before it: `<!-- runnable
-->` or `<!-- not runnable: why -->`. The runnable ones form the tutorial: they run in
order, as one shell session would, in an empty temporary folder with the project's own
`senate` and `python` first on PATH.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from apikit import free_port

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^(?P<marker>[^\n]*)\n```sh\n(?P<body>.*?)^```$", re.M | re.S)
RUNNABLE = "<!-- runnable -->"


def shell_blocks() -> list[tuple[str, str]]:
    return [(m["marker"].strip(), m["body"]) for m in BLOCK.finditer(README.read_text())]


def test_every_shell_block_says_whether_it_runs() -> None:
    blocks = shell_blocks()
    assert blocks, "no shell blocks found"
    unmarked = [body.splitlines()[0] for marker, body in blocks
                if marker != RUNNABLE and not marker.startswith("<!-- not runnable: ")]
    assert unmarked == []


def test_the_runnable_shell_blocks_run_as_pasted(tmp_path: Path) -> None:
    for tool in ("ssh-keygen", "curl", "git"):
        if shutil.which(tool) is None:
            pytest.skip(f"the README's examples need {tool}")
    runnable = [body for marker, body in shell_blocks() if marker == RUNNABLE]
    assert len(runnable) >= 10
    script = ["set -euo pipefail"]
    for n, body in enumerate(runnable, 1):
        script += [f"echo '>>> README block {n}' >&2", body]
    work = tmp_path / "work"
    work.mkdir()
    bindir = str(Path(sys.executable).parent)  # the venv's senate and python
    env = {**os.environ, "PATH": bindir + os.pathsep + os.environ.get("PATH", ""),
           "PORT": str(free_port()), "HOME": str(tmp_path)}
    proc = subprocess.Popen(["bash", "-c", "\n".join(script)], cwd=work, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=600)
    finally:
        # the session's background server, if a failing block left it running
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
    blocks_run = re.findall(r">>> README block (\d+)", err)
    assert proc.returncode == 0, (
        f"README block {blocks_run[-1] if blocks_run else '?'} failed "
        f"(exit {proc.returncode}):\n{err[-3000:]}\n--- stdout ---\n{out[-2000:]}")
    assert "Traceback" not in err
    assert "ok: main changed only through approved proposals" in out
    assert re.search(r"^0004-paper-preprint-url open 1/2$", out, re.M), out[-1500:]
