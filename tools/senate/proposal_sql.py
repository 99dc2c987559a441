"""The SQL files of one proposal, checked as the counter needs them.

`migration.sql` runs on every dialect that has no `migration.<dialect>.sql` of its own,
so it is parsed once per such dialect; each finding names the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass

from senate.git import GitRepo
from senate.proposal import PROPOSALS_DIR
from senate.sqlcheck import analyse

SQL_DIALECTS = ("sqlite", "postgres")


@dataclass(frozen=True)
class ProposalSql:
    errors: tuple[str, ...] = ()
    destructive: tuple[str, ...] = ()


def proposal_sql_files(git: GitRepo, rev: str, proposal_id: str) -> dict[str, tuple[str, ...]]:
    """file name -> the dialects it is used for."""
    names = set(git.list_dir(rev, f"{PROPOSALS_DIR}/{proposal_id}"))
    own = tuple(d for d in SQL_DIALECTS if f"migration.{d}.sql" in names)
    out: dict[str, tuple[str, ...]] = {f"migration.{d}.sql": (d,) for d in own}
    generic = tuple(d for d in SQL_DIALECTS if d not in own)
    if "migration.sql" in names and generic:
        out["migration.sql"] = generic
    return out


def check_proposal_sql(git: GitRepo, rev: str, proposal_id: str) -> ProposalSql:
    errors: list[str] = []
    destructive: list[str] = []
    for name, dialects in sorted(proposal_sql_files(git, rev, proposal_id).items()):
        data = git.read_file(rev, f"{PROPOSALS_DIR}/{proposal_id}/{name}") or b""
        text = data.decode("utf-8", "replace")
        for dialect in dialects:
            report = analyse(text, dialect)
            errors += [f"{name} ({dialect}) {e.describe()}" for e in report.errors]
            destructive += [f"{name} {d.describe()}" for d in report.destructive]
    return ProposalSql(tuple(dict.fromkeys(errors)), tuple(dict.fromkeys(destructive)))
