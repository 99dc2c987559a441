"""The compiled engine (tools/senate/compat/native.py) against the pure-Python modules it is
built from: the same answers, exactly, on the fuzzer's pairs, every regression, the case
table and the registry's schemas. Both run in subprocesses with one hash seed, so that
only the build differs; the pure run has SENATE_PURE=1.

Compiled code keeps Python's semantics except where a value is statically an int, float
or bool (unboxed: `True` can come back as 1, an int compared with a float is rounded);
the engine's modules avoid that, and this test is the oracle that they do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import senate.compat
from senate.compat import native

ROOT = Path(__file__).resolve().parents[1]


def _env(pure: bool) -> dict[str, str]:
    """A subprocess's environment: this checkout's code, one hash seed, one build."""
    env = {**os.environ, "PYTHONHASHSEED": "0",
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tools"), str(ROOT / "tests")])}
    env.pop("SENATE_PURE", None)
    if pure:
        env["SENATE_PURE"] = "1"
    return env


def _answers(pure: bool, seed: int, count: int) -> list[dict[str, Any]]:
    env = _env(pure)
    done = subprocess.run([sys.executable, "-m", "fuzz.answers", str(seed), str(count)],
                          env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return [json.loads(line) for line in done.stdout.splitlines()]


needs_build = pytest.mark.skipif(
    not native.fresh(),
    reason="the compiled engine is not built from these sources here (./run builds it "
           "when mypy and a C compiler are present): nothing to compare")


@needs_build
def test_the_compiled_engine_gives_the_pure_answers() -> None:
    compiled, pure = _answers(False, 20261207, 4000), _answers(True, 20261207, 4000)
    assert compiled and all(a["native"] for a in compiled), "the compiled build did not load"
    assert not any(a["native"] for a in pure), "SENATE_PURE=1 must load the pure modules"
    assert len(compiled) == len(pure) > 8000
    malformed = 0
    for a, b in zip(compiled, pure, strict=True):
        assert (a["name"], a["policy"]) == (b["name"], b["policy"])
        if _malformed(a["report"]) and _malformed(b["report"]):
            malformed += 1  # the same answer; only the interpreter's exception text differs
            continue
        assert a["report"] == b["report"], (a["name"], a["policy"])
    assert malformed < len(compiled) / 100


_MALFORMED = "cannot compare: a schema is malformed or nested too deeply ("


def _malformed(report: dict[str, Any]) -> bool:
    """The fail-closed report on input the engine could not read (engine.malformed). Its
    text quotes the exception, which compiled code words differently ("list object
    expected; got dict" where Python says KeyError: 0): the rest must be the same."""
    changes = report["changes"]
    return len(changes) == 1 and changes[0]["explanation"].startswith(_MALFORMED) and \
        changes[0]["kind"] == "unknown" and report["backward_compatible"] is None and \
        report["forward_compatible"] is None and not report["assumptions"]


@needs_build
def test_this_process_runs_the_compiled_engine() -> None:
    # The suite itself runs compiled when the build is fresh (and SENATE_PURE is unset).
    from senate.compat import engine

    assert senate.compat.NATIVE is (not os.environ.get("SENATE_PURE"))
    assert engine.__file__ is not None
    assert engine.__file__.endswith(".py") is (not senate.compat.NATIVE)


def test_a_stale_or_foreign_build_is_never_used(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # A manifest that does not match the sources (an edit since the build, another
    # Python) leaves every module pure; so does a missing shared library.
    folder = tmp_path / "_native"
    folder.mkdir()
    monkeypatch.setattr(native, "FOLDER", folder)
    monkeypatch.setattr(native, "MANIFEST", folder / "manifest.json")
    monkeypatch.delenv("SENATE_PURE", raising=False)
    for path in native._built():
        path.write_bytes(b"")
    recorded = native.fingerprint()
    edited = {**recorded, "sources": {**recorded["sources"], "scalar": "0" * 64}}  # type: ignore[dict-item]
    for manifest, usable in ((recorded, True), (edited, False),
                             ({**recorded, "python": "2.7"}, False), ("{", False)):
        (folder / "manifest.json").write_text(
            manifest if isinstance(manifest, str) else json.dumps(manifest))
        path_list: list[str] = []
        assert native.activate(path_list) is usable
        assert path_list == ([str(folder)] if usable else [])
    (folder / "manifest.json").write_text(json.dumps(recorded))
    native._built()[-1].unlink()
    assert native.activate([]) is False
    monkeypatch.setenv("SENATE_PURE", "1")
    (folder / native._built()[-1].name).write_bytes(b"")
    assert native.activate([]) is False


_DEEP = """
import json
from senate.compat import NATIVE, compare

def nest(depth, key, inner):
    for _ in range(depth):
        inner = {key: inner}
    return inner

def nest_list(depth):
    value = 1
    for _ in range(depth):
        value = [value]
    return value

def nest_all(depth):
    inner = {"type": "string"}
    for _ in range(depth):
        inner = {"allOf": [inner, {"minLength": 1}]}
    return inner

def nest_titled(depth, inner):
    for i in range(depth):
        inner = {"title": str(i), "properties": {"a": inner}}
    return inner

D = 100_000
shapes = [
    ({"const": nest_list(D)}, {"const": nest_list(D)}),
    ({"const": nest_list(D)}, {"const": nest_list(D - 1)}),
    ({"default": nest(D, "x", 1)}, {"default": nest(D, "x", 1), "title": "t"}),
    (nest(D, "not", {}), nest(D - 1, "not", {})),
    (nest(D, "items", {}), {**nest(D, "items", {}), "minItems": 1}),
    ({"properties": {"a": nest_all(D)}}, {"properties": {"a": {}}}),
    # A chain of references 3 levels deep as JSON and 50,000 long (it once overflowed the
    # C stack of the compiled build), and a tree whose first key differs at every level.
    ({"$defs": {**{f"d{i}": {"$ref": f"#/$defs/d{i + 1}"} for i in range(50_000)},
                "d50000": {"type": "string"}}, "items": {"$ref": "#/$defs/d0"}},
     {"items": {"type": "string"}}),
    (nest_titled(D, {}), nest_titled(D, {"type": "string"})),
]
print(json.dumps({"native": NATIVE, "verdicts": [
    [compare(o, n).backward_compatible, compare(o, n).forward_compatible] for o, n in shapes]}))
"""


@pytest.mark.parametrize("pure", [False, True], ids=["compiled", "pure"])
def test_nesting_past_the_stack_fails_closed_without_crashing(pure: bool) -> None:
    # Compiled code recurses on the C stack: past Python's recursion limit it must still
    # raise RecursionError (-> unknown), not overflow the stack and kill the process.
    if not pure and not native.fresh():
        pytest.skip("the compiled engine is not built from these sources here")
    done = subprocess.run([sys.executable, "-c", _DEEP], env=_env(pure), capture_output=True,
                          text=True, timeout=300, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    result = json.loads(done.stdout)
    assert result["native"] is (not pure)
    assert result["verdicts"] == [[None, None]] * 8
