"""The compiled engine: the comparison modules built with mypyc, used only when built from
exactly the sources beside them; otherwise the same modules run as plain Python.

A build compiles the modules below into `_native/` (one C extension per module and a
shared library) and records a hash of every source it compiled. At import, the package
puts `_native/` ahead on its own path when that record matches the sources and this
Python, so `senate.compat.engine` loads compiled; a source edited since, another Python,
or `SENATE_PURE=1` leaves every module pure (never a stale module beside fresh ones).
The compiled modules are held to the pure ones by tests/test_compat_native.py.

Not compiled: `model` (its frozen values fill their instance dict, which a compiled class
has none of) and what only presents or checks a report. In the compiled modules a schema
value is never narrowed to int, float or bool and then used: compiled code unboxes such a
value, so `True` would come back as 1 and an int compared with a float would be rounded.

`native.main([])` builds when stale (`./run` calls it), `native.main(["--status"])` tells.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import shutil
import sys
import sysconfig
import tempfile
from pathlib import Path

MODULES = ("arrays", "conjoin", "ctx", "dialect", "engine", "leaf", "logic", "objects",
           "regular", "resolve", "resources", "scalar", "scan")
GROUP = "senate.compat._engine"  # the shared library is senate.compat._engine__mypyc
HERE = Path(__file__).resolve().parent
FOLDER = HERE / "_native"
MANIFEST = FOLDER / "manifest.json"
_SUFFIX = sysconfig.get_config_var("EXT_SUFFIX") or ".so"


def fingerprint() -> dict[str, object]:
    """What a build must have been made from to be used: this Python and these sources."""
    return {
        "ext_suffix": _SUFFIX,
        "python": sys.version,
        "sources": {name: hashlib.sha256((HERE / f"{name}.py").read_bytes()).hexdigest()
                    for name in MODULES},
    }


def _built() -> list[Path]:
    return [FOLDER / f"{name}{_SUFFIX}" for name in MODULES] + \
        [FOLDER / f"{GROUP.rsplit('.', 1)[1]}__mypyc{_SUFFIX}"]


def fresh() -> bool:
    """Whether a complete build of exactly the current sources is there."""
    try:
        recorded = json.loads(MANIFEST.read_text())
    except (OSError, ValueError):
        return False
    return recorded == fingerprint() and all(path.is_file() for path in _built())


def activate(package_path: list[str]) -> bool:
    """Put the compiled modules ahead on the package's path when they may be used."""
    if os.environ.get("SENATE_PURE") or not fresh():
        return False
    package_path.insert(0, str(FOLDER))
    return True


def build() -> None:
    """Compile the modules into `_native/` (replacing what was there). Needs mypy's mypyc,
    setuptools and a C compiler; raises when any is missing or the compile fails."""
    from mypyc.build import mypycify  # build-time only: mypy is a dev dependency
    from setuptools import Distribution

    recorded = fingerprint()  # of the sources as they are when the compile starts
    with tempfile.TemporaryDirectory(prefix="senate-native-") as tmp:
        work = Path(tmp)
        sources = [str(HERE / f"{name}.py") for name in MODULES]
        extensions = mypycify(sources, opt_level="3", group_name=GROUP,
                              target_dir=str(work / "c"))
        dist = Distribution({"name": "senate-native", "ext_modules": extensions})
        command = dist.get_command_obj("build_ext")
        command.build_lib = str(work / "lib")
        command.build_temp = str(work / "temp")
        command.parallel = os.cpu_count() or 1
        command.ensure_finalized()
        command.run()
        staged = work / "native"
        staged.mkdir()
        for path in _built():
            shutil.copy2(work / "lib" / "senate" / "compat" / path.name, staged / path.name)
        (staged / "manifest.json").write_text(json.dumps(recorded, indent=1))
        # The old build goes first, so a failure between the two steps leaves none.
        shutil.rmtree(FOLDER, ignore_errors=True)
        shutil.move(str(staged), FOLDER)


def main(argv: list[str]) -> int:
    if "--status" in argv:
        print("compiled engine:", "built from the current sources" if fresh() else "not built")
        return 0
    if fresh():
        return 0
    print("compiling the comparison engine with mypyc (about a minute, once per change)...",
          file=sys.stderr)
    said = io.StringIO()  # mypyc's notes on every build; shown only when it fails
    try:
        with contextlib.redirect_stdout(said), contextlib.redirect_stderr(said):
            build()
    except (Exception, SystemExit) as error:  # any failure leaves the pure modules in use
        print(said.getvalue()[-2000:], file=sys.stderr)
        print(f"warning: the engine could not be compiled ({type(error).__name__}: "
              f"{str(error)[:300]}); the pure-Python modules are used, which give the same "
              "answers, slower", file=sys.stderr)
        return 0
    print("compiled engine built", file=sys.stderr)
    return 0
