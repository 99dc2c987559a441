"""What a proposal changes, byte for byte: its content id and the rules on its files.

The content id is the SHA-256, in hex, of exactly what

    git diff --raw --no-abbrev --no-renames BASE TIP | sha256sum

hashes: one line per changed path with both modes, both blob ids, the status and the
path (quoted as git quotes it). Blob ids hash every byte of a file, text or binary, so
no change to any byte, mode or path of a changed file leaves a vote current; a clean
merge of main that leaves the proposal's paths alone changes no line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from senate.git import GitRepo
from senate.git.repo import RawDelta
from senate.policy import POLICY_FILE
from senate.proposal import PROPOSALS_DIR
from senate.registry import SCHEMA_DIR, TYPE_RE

REGULAR = 0o100644
_SCHEMA_PATH = re.compile(rf"{SCHEMA_DIR}/([^/]+)\.json\Z")
# git's quote_c_style with core.quotePath on: these bytes get a letter escape, every
# other control byte, DEL and every byte >= 0x80 an octal one.
_LETTERS = {7: "a", 8: "b", 9: "t", 10: "n", 11: "v", 12: "f", 13: "r", 0x22: '"',
            0x5C: "\\"}


def quote_path(path: bytes) -> str:
    """A path as `git diff --raw` prints it: bare when plain, else C-quoted."""
    if not any(b < 0x20 or b >= 0x7F or b in (0x22, 0x5C) for b in path):
        return path.decode("ascii")
    out = ['"']
    for b in path:
        if b in _LETTERS:
            out.append("\\" + _LETTERS[b])
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    out.append('"')
    return "".join(out)


def raw_text(deltas: Sequence[RawDelta]) -> str:
    """The output of `git diff --raw --no-abbrev --no-renames` for these deltas."""
    return "".join(
        f":{d.old_mode:06o} {d.new_mode:06o} {d.old_id} {d.new_id} {d.status}\t"
        f"{quote_path(d.path)}\n"
        for d in deltas
    )


def content_id(deltas: Sequence[RawDelta]) -> str:
    return hashlib.sha256(raw_text(deltas).encode("ascii")).hexdigest()


def content_id_between(git: GitRepo, base: str, tip: str) -> str:
    """The content id of commits base..tip."""
    return content_id(git.raw_diff(git.commit_tree(base), git.commit_tree(tip)))


def is_schema_path(path: str) -> bool:
    return path.startswith(f"{SCHEMA_DIR}/")


def scope_problems(
    proposal_id: str, proposal_type: str, deltas: Sequence[RawDelta]
) -> list[str]:
    """Which paths a proposal may change, and that each is a plain file Senate can read.

    A schema proposal changes its own folder and `schemas/<type>.json`; a governance
    proposal its own folder and senate.toml. Every file it writes is a regular,
    non-executable file: a symlink, a submodule or a directory where a schema belongs
    is read differently by different tools, so it is refused.
    """
    own = f"{PROPOSALS_DIR}/{proposal_id}/"
    problems: list[str] = []
    stray: list[str] = []
    for d in deltas:
        path = d.name
        if not d.path.isascii() and path != d.path.decode("utf-8", "replace"):
            problems.append(f"{quote_path(d.path)} is not a UTF-8 path")
            continue
        if path.startswith(own):
            pass
        elif proposal_type == "governance":
            if path != POLICY_FILE:
                stray.append(path)
        elif is_schema_path(path):
            m = _SCHEMA_PATH.match(path)
            if m is None or not TYPE_RE.match(m.group(1)):
                problems.append(f"{path} is not a schema file: a schema is a regular file "
                                f"{SCHEMA_DIR}/<type>.json, with a lowercase type name")
                continue
            if d.status == "D":
                problems.append(f"{path} is deleted; removing a type is not a schema change")
                continue
        elif path == POLICY_FILE:
            problems.append(f"a schema proposal cannot change {POLICY_FILE}: the roster and "
                            "the rules change only through a governance proposal")
            continue
        else:
            stray.append(path)
            continue
        if d.status != "D" and d.new_mode != REGULAR:
            problems.append(f"{path} has mode {d.new_mode:06o}: every file a proposal "
                            "writes must be a regular file (100644)")
    if stray:
        problems.insert(0, "the proposal changes files outside its scope: "
                        + ", ".join(stray[:5]) + (", ..." if len(stray) > 5 else ""))
    return problems
