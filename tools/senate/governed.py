"""Is this a governed repository? Every command asks the same question the same way.

A repository is governed when main holds `senate.toml`. Without that check a plain git
repository with a main branch reads as an empty registry that audits clean, which is
false reassurance; every command says "not a governed repository" instead (exit 2).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from senate.errors import NotFoundError
from senate.git import GitRepo
from senate.policy import POLICY_FILE
from senate.proposals import main_tip

HINT = "run `senate init PATH` to make one, or pass --repo PATH pointing at one"


def require_governed(git: GitRepo, history: Iterable[str] | None = None) -> None:
    """Refuse unless main's tip holds senate.toml, or (for the audit, given main's
    history) some commit of that history did: a removal on main is the audit's to flag."""
    tip = main_tip(git)
    if git.read_file(tip, POLICY_FILE) is not None:
        return
    if history is not None and any(git.read_file(c, POLICY_FILE) is not None
                                   for c in history):
        return
    where = git.workdir or git.path
    raise NotFoundError(f"{where} is not a governed repository: main ({tip[:12]}) has no "
                        f"{POLICY_FILE}", HINT)


def open_governed(path: str | Path) -> GitRepo:
    git = GitRepo.open(path)
    require_governed(git)
    return git
