"""The migration chain of one dialect and its checksum file, in the style of atlas.sum.

`senate.sum` has a first line `h1:<hash of every line below>` and then one line per
file, `<name> h1:<hash>`, where each file's hash is a running SHA-256 over the names and
contents of every file up to and including it. Editing, removing, adding or reordering
any migration therefore changes its own line and every line after it.
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass

from senate.errors import SenateError

MIGRATIONS_DIR = "migrations"
SUM_FILE = "senate.sum"
DIALECT_NAMES = ("sqlite", "postgres")
UP_RE = re.compile(r"^([0-9]{4})_([a-z0-9][a-z0-9-]*)\.sql$")
DOWN_SUFFIX = ".down.sql"
HISTORY_MARKER = "-- senate:history"


class ChainError(SenateError):
    """The migrations on disk do not match their checksum file."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str  # file name without .sql, e.g. 0003_0007-experiment-power
    text: str

    @property
    def file(self) -> str:
        return f"{self.name}.sql"

    @property
    def checksum(self) -> str:
        return body_checksum(self.text)


def dialect_dir(dialect: str) -> str:
    return f"{MIGRATIONS_DIR}/{dialect}"


def body_checksum(text: str) -> str:
    """SHA-256 of the migration up to its history row, which records this very value."""
    body = text.split(HISTORY_MARKER, 1)[0]
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


def sum_lines(files: dict[str, bytes]) -> list[tuple[str, str]]:
    running = hashlib.sha256()
    out: list[tuple[str, str]] = []
    for name in sorted(files):
        running.update(name.encode("utf-8"))
        running.update(files[name])
        out.append((name, "h1:" + _b64(running.copy().digest())))
    return out


def render_sum(files: dict[str, bytes]) -> bytes:
    lines = sum_lines(files)
    text = _total(lines) + "\n" + "".join(f"{n} {h}\n" for n, h in lines)
    return text.encode("utf-8")


def check_sum(dialect: str, files: dict[str, bytes], sum_text: bytes | None) -> list[str]:
    """Problems with the chain, each naming the file at fault (empty: intact)."""
    where = f"{dialect_dir(dialect)}/{SUM_FILE}"
    if sum_text is None:
        return [f"{where} is missing"] if files else []
    lines = sum_text.decode("utf-8", "replace").splitlines()
    recorded: list[tuple[str, str]] = []
    for raw in lines[1:]:
        name, _, digest = raw.rpartition(" ")
        recorded.append((name, digest))
    if _total(recorded) != (lines[0] if lines else ""):
        return [f"{where} is edited: its first line does not hash the lines below it"]
    expected = sum_lines(files)
    names_rec = [n for n, _ in recorded]
    names_now = [n for n, _ in expected]
    problems = [
        f"{dialect_dir(dialect)}/{n} is listed in {SUM_FILE} but missing"
        for n in names_rec if n not in files
    ]
    problems += [
        f"{dialect_dir(dialect)}/{n} is not in {SUM_FILE} (added by hand?)"
        for n in names_now if n not in names_rec
    ]
    if problems:
        return problems
    if names_rec != names_now:
        return [f"{where} lists the migrations in another order than their names"]
    for (name, digest), (_, now) in zip(recorded, expected, strict=True):
        if digest != now:
            return [f"{dialect_dir(dialect)}/{name} was edited (or a migration before it was)"]
    return []


def _total(lines: list[tuple[str, str]]) -> str:
    total = hashlib.sha256()
    for name, digest in lines:
        total.update(name.encode("utf-8"))
        total.update(digest.encode("ascii"))
    return "h1:" + _b64(total.digest())


def up_migrations(files: dict[str, bytes]) -> list[Migration]:
    """The migrations to run, in order; down files and the sum are not part of it."""
    out: list[Migration] = []
    for name in sorted(files):
        m = UP_RE.match(name)
        if m is None or name.endswith(DOWN_SUFFIX):
            continue
        out.append(Migration(int(m.group(1)), name[: -len(".sql")], files[name].decode()))
    return out


def check_numbers(dialect: str, migrations: list[Migration]) -> list[str]:
    """Versions must be 0, 1, 2, ... with no gap and no duplicate."""
    for expected, mig in enumerate(migrations):
        if mig.version != expected:
            return [
                f"{dialect_dir(dialect)}/{mig.file}: expected version {expected:04d} here"
            ]
    return []


def check_seals(dialect: str, migrations: list[Migration]) -> list[str]:
    """Each history row must record its own number, name and the checksum of its body."""
    for mig in migrations:
        _, marker, tail = mig.text.partition(HISTORY_MARKER)
        where = f"{dialect_dir(dialect)}/{mig.file}"
        if not marker or f"({mig.version}, '{mig.name}'," not in tail:
            return [f"{where}: its history row names another migration (renamed or reordered)"]
        if f"'{mig.checksum}'" not in tail:
            return [f"{where}: its recorded checksum does not match its content"]
    return []


def verified_chain(
    dialect: str, files: dict[str, bytes], sum_text: bytes | None
) -> list[Migration]:
    problems = check_sum(dialect, files, sum_text)
    migrations = up_migrations(files)
    problems = problems or check_numbers(dialect, migrations) or check_seals(dialect, migrations)
    if problems:
        raise ChainError(
            "the migration chain is broken: " + "; ".join(problems),
            "restore the files from git, or regenerate them with `senate migrate generate`",
        )
    return migrations
