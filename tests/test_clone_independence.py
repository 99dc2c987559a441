"""Nothing in the project may depend on where it is cloned (issue 12, item 1).

`.ci/run` proves it end to end (the suite runs from a clone in a temporary folder with
an empty HOME); this test names the offending line quickly, before CI does.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# An absolute path into some machine's folders: a checkout, a home, a venv.
ABSOLUTE = re.compile(r"""["'\s=(](/work/|/home/|/root/|/Users/)[^"'\s]*""")
ALLOWED = {Path("tests/test_clone_independence.py")}


def tracked_files() -> list[Path]:
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    return [Path(p) for p in listed if p and not p.startswith(("schemas/", "migrations/"))]


def test_no_file_names_an_absolute_checkout_or_home_path() -> None:
    found = []
    for rel in tracked_files():
        if rel in ALLOWED or not (ROOT / rel).is_file():
            continue
        try:
            text = (ROOT / rel).read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if ABSOLUTE.search(line):
                found.append(f"{rel}:{number}: {line.strip()}")
    assert found == [], "absolute paths that tie the project to one machine:\n" + "\n".join(
        found)


def test_ci_runs_the_suite_from_a_fresh_clone_with_an_empty_home() -> None:
    script = (ROOT / ".ci" / "run").read_text()
    assert "git clone" in script and "mktemp -d" in script
    assert 'HOME="$work/home"' in script and "./run test -q" in script
    assert "</dev/null" in script  # CI has no standard input
