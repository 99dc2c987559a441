"""`senate --help` must stay fast: it may not import the heavy libraries (see bench)."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("pygit2", "jsonschema", "cryptography", "jinja2", "sqlglot", "fastapi", "psycopg")


def test_help_imports_no_heavy_module() -> None:
    code = (
        "import sys\n"
        "from senate.cli.main import run\n"
        "try:\n    run(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print('LOADED=' + ','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, cwd="tools")
    loaded = out.stdout.strip().splitlines()[-1].removeprefix("LOADED=")
    assert loaded == "", f"--help imported {loaded}"
    assert "Commands:" in out.stdout


def test_every_listed_command_has_help() -> None:
    from senate.cli.main import COMMANDS, run

    for name in COMMANDS:
        module = COMMANDS[name][0].split(":")[0]
        try:
            __import__(module)
        except ModuleNotFoundError:
            continue  # registered ahead of the part that implements it
        assert run([name, "--help"]) == 0, name
