"""`senate migrate down`: undo the newest applied migrations with their generated downs.

The steps run newest first, each in its own transaction (the down file removes its own
history row, so a failure leaves the database at the last step that completed). Before
anything runs, every step in the range must be reversible; the first that is not stops
the whole command, naming the step and why (the reason comes from the generated up file
itself, which says why no down was written).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from senate.errors import SenateError, UsageError
from senate.git import GitRepo
from senate.migrate.apply import (
    Chain,
    MigrationFailed,
    load_chain,
    locked,
    pending,
    recorded_history,
)
from senate.migrate.chain import DOWN_SUFFIX, Migration
from senate.migrate.db import dialect_of, migration_statements

NO_DOWN_RE = re.compile(r"^-- There is no down migration: (?P<why>.+)$", re.M)
# The generated layout's proposer section: its header line, then the statements or
# "-- (none)", up to the next numbered section.
PROPOSER_RE = re.compile(
    r"^-- 2\. The proposer's SQL \((?P<file>[^)\n]*)\)\.\n(?P<body>.*?)\n\n-- 3\.",
    re.M | re.S,
)
BASELINE_REASON = ("the baseline creates the artifact store and its registry; undoing it "
                   "would drop every artifact (drop the database instead)")


class NotReversible(SenateError):
    """A step in the requested range has no way back."""

    reason = "not_reversible"


@dataclass(frozen=True)
class Step:
    migration: Migration
    down: str


@dataclass(frozen=True)
class Reverted:
    dialect: str
    reverted: tuple[str, ...]
    version: int  # the newest migration still applied

    def to_json(self) -> dict[str, Any]:
        return {"dialect": self.dialect, "reverted": list(self.reverted),
                "version": self.version}


def irreversible(mig: Migration, down: str | None) -> str | None:
    """Why `mig` cannot be undone, or None when its down migration undoes it entirely."""
    if mig.version == 0:
        return BASELINE_REASON
    if down is None:
        said = NO_DOWN_RE.search(mig.text)
        return ("no down migration was generated: " + said.group("why") if said
                else "no down migration was generated for it")
    proposer = PROPOSER_RE.search(mig.text)
    if proposer is not None and proposer.group("body").strip() != "-- (none)":
        return (f"it runs the proposer's own SQL ({proposer.group('file')}), which has no "
                "generated inverse")
    return None


def plan_down(chain: Chain, applied: int, to: int | None) -> list[Step]:
    """The steps that take a database with `applied` migrations down to version `to`
    (default: one step back), newest first; NotReversible / UsageError when impossible."""
    if applied == 0:
        raise UsageError("no migration is applied to this database", "nothing to undo")
    top = applied - 1
    target = top - 1 if to is None else to
    if target < 0:
        raise NotReversible(f"0000 cannot be undone: {BASELINE_REASON}",
                            "pass --to 0 or higher")
    if target > top:
        raise UsageError(f"--to {target} is ahead of the database, which is at "
                         f"{top:04d}", "use `senate migrate apply` to go forward")
    steps: list[Step] = []
    refused: list[tuple[int, str]] = []
    for mig in reversed(chain.migrations[target + 1: applied]):
        down = chain.downs.get(mig.name)
        why = irreversible(mig, down)
        if why is not None:
            refused.append((mig.version, f"{mig.file}: {why}"))
        else:
            steps.append(Step(mig, down or ""))
    if refused:
        raise NotReversible(
            f"cannot go down to {target:04d}: " + "; ".join(r for _, r in refused),
            f"nothing was run; --to {refused[0][0]:04d} is as far as the down migrations "
            "go from here (further back, restore a backup taken before that step)",
        )
    return steps


def down(git: GitRepo, url: str, to: int | None = None, rev: str | None = None) -> Reverted:
    chain = load_chain(git, dialect_of(url), rev)
    if chain.dialect == "sqlite" and not Path(url[len("sqlite:///"):]).exists():
        raise UsageError(f"there is no database at {url}", "check the path; nothing to undo")
    with locked(url) as db:
        history = recorded_history(db, chain.storage)
        pending(chain, history)  # refuses a history that is not this chain's
        steps = plan_down(chain, len(history), to)
        done: list[str] = []
        for step in steps:
            failure = db.run_migration(migration_statements(step.down))
            if failure is not None:
                raise MigrationFailed(
                    f"{step.migration.name}{DOWN_SUFFIX} failed at line "
                    f"{failure.statement.line}: {failure.message}",
                    "that step was rolled back; the steps listed before it stay undone"
                    + (f" ({', '.join(done)})" if done else ""),
                )
            done.append(step.migration.name)
        left = len(recorded_history(db, chain.storage))
        return Reverted(chain.dialect, tuple(done), left - 1)
