"""Line edits of senate.toml that keep everything else byte for byte (comments included).

Each edit touches one [[agents]] block or one `key = value` line of one table, so the diff
of a governance proposal is exactly the change it names. The caller re-parses the result
and compares it with the policy it meant to get, so an edit that a hand-written layout
defeats is refused rather than written.
"""

from __future__ import annotations

import re

from senate.errors import UsageError

HEADER_RE = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?\s*(?:#.*)?$")


def _lines(text: str) -> list[str]:
    return (text if text.endswith("\n") or not text else text + "\n").splitlines(keepends=True)


def _sections(lines: list[str]) -> list[tuple[str, bool, int, int]]:
    """(table name, is array table, first line, end line) of every table, in order."""
    heads = [(i, m.group(2), m.group(1) == "[[") for i, line in enumerate(lines)
             if (m := HEADER_RE.match(line))]
    out = []
    for n, (start, name, array) in enumerate(heads):
        end = heads[n + 1][0] if n + 1 < len(heads) else len(lines)
        out.append((name, array, start, end))
    return out


def _key_re(key: str) -> re.Pattern[str]:
    return re.compile(rf"^\s*{re.escape(key)}\s*=")


def _last_content(lines: list[str], start: int, end: int) -> int:
    """The index after the last non-blank, non-comment line of a section."""
    last = start + 1
    for i in range(start + 1, end):
        stripped = lines[i].strip()
        if stripped and not stripped.startswith("#"):
            last = i + 1
    return last


def set_in_table(text: str, table: str, key: str, literal: str | None) -> str:
    """`key = literal` in [table] (replacing its line); None removes the line."""
    lines = _lines(text)
    section = next(((s, e) for n, a, s, e in _sections(lines) if n == table and not a), None)
    if section is None:
        if literal is None:
            return text
        return "".join(lines) + f"\n[{table}]\n{key} = {literal}\n"
    start, end = section
    pattern = _key_re(key)
    for i in range(start + 1, end):
        if pattern.match(lines[i]):
            lines[i:i + 1] = [] if literal is None else [f"{key} = {literal}\n"]
            return "".join(lines)
    if literal is not None:
        lines.insert(_last_content(lines, start, end), f"{key} = {literal}\n")
    return "".join(lines)


def _agent_block(lines: list[str], name: str) -> tuple[int, int]:
    pattern = re.compile(rf'^\s*name\s*=\s*"{re.escape(name)}"\s*(?:#.*)?$')
    for table, array, start, end in _sections(lines):
        if table == "agents" and array and any(pattern.match(x) for x in lines[start:end]):
            return start, end
    raise UsageError(f"no agent {name!r} in senate.toml", "see `senate roster list`")


def set_in_agent(text: str, name: str, key: str, literal: str) -> str:
    lines = _lines(text)
    start, end = _agent_block(lines, name)
    pattern = _key_re(key)
    for i in range(start + 1, end):
        if pattern.match(lines[i]):
            lines[i] = f"{key} = {literal}\n"
            return "".join(lines)
    lines.insert(_last_content(lines, start, end), f"{key} = {literal}\n")
    return "".join(lines)


def remove_agent(text: str, name: str) -> str:
    lines = _lines(text)
    start, end = _agent_block(lines, name)
    # Keep the blank lines and comments that lead into the next table.
    del lines[start:_last_content(lines, start, end)]
    return "".join(lines)


def add_agent(text: str, fields: list[tuple[str, str]]) -> str:
    body = "".join(f"{k} = {v}\n" for k, v in fields)
    return "".join(_lines(text)).rstrip("\n") + f"\n\n[[agents]]\n{body}"
