"""The SQL part of a proposal's rule, in one function that every surface calls.

`check_proposal_sql` reads the proposal's SQL files, classifies every statement (see
senate.sqlcheck) and, when nothing is refused, rehearses the complete migration (see
senate.migrate.dryrun). Its `problems` block approval; its `destructive` reasons force
unanimity. The counter, `senate propose`, `senate show` and the review page all read this
one result, so they cannot disagree.

`migration.sql` runs on every dialect that has no `migration.<dialect>.sql` of its own,
so it is classified once per such dialect; each finding names the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from senate.git import GitRepo
from senate.migrate.dryrun import Rehearsal, rehearse
from senate.policy import Policy
from senate.proposal import PROPOSALS_DIR, ProposalMeta
from senate.sqlcheck import Verdict, classify

SQL_DIALECTS = ("sqlite", "postgres")
MEMO_SIZE = 256


@dataclass(frozen=True)
class FileVerdict:
    file: str
    dialect: str
    verdict: Verdict

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "dialect": self.dialect, **self.verdict.to_json()}


@dataclass(frozen=True)
class ProposalSql:
    problems: tuple[str, ...] = ()  # block approval
    destructive: tuple[str, ...] = ()  # force unanimity
    statements: tuple[FileVerdict, ...] = ()
    rehearsals: tuple[Rehearsal, ...] = ()
    notes: tuple[str, ...] = ()  # plain sentences for a reviewer
    skipped: str | None = None  # why no dry run ran

    def to_json(self) -> dict[str, Any]:
        return {
            "problems": list(self.problems),
            "destructive": list(self.destructive),
            "statements": [s.to_json() for s in self.statements],
            "dry_runs": [r.to_json() for r in self.rehearsals],
            "dry_run_skipped": self.skipped,
            "notes": list(self.notes),
        }


def proposal_sql_files(git: GitRepo, rev: str, proposal_id: str) -> dict[str, tuple[str, ...]]:
    """file name -> the dialects it is used for."""
    names = set(git.list_dir(rev, f"{PROPOSALS_DIR}/{proposal_id}"))
    own = tuple(d for d in SQL_DIALECTS if f"migration.{d}.sql" in names)
    out: dict[str, tuple[str, ...]] = {f"migration.{d}.sql": (d,) for d in own}
    generic = tuple(d for d in SQL_DIALECTS if d not in own)
    if "migration.sql" in names and generic:
        out["migration.sql"] = generic
    return out


def classify_files(
    git: GitRepo, rev: str, proposal_id: str, policy: Policy, target: str | None
) -> tuple[FileVerdict, ...]:
    out: list[FileVerdict] = []
    for name, dialects in sorted(proposal_sql_files(git, rev, proposal_id).items()):
        data = git.read_file(rev, f"{PROPOSALS_DIR}/{proposal_id}/{name}") or b""
        text = data.decode("utf-8", "replace")
        for dialect in dialects:
            report = classify(text, dialect, policy.storage, target)
            out += [FileVerdict(name, dialect, v) for v in report.statements]
    return tuple(out)


_MEMO: dict[tuple[Any, ...], ProposalSql] = {}


def check_proposal_sql(
    git: GitRepo, onto: str, tip: str, proposal_id: str, policy: Policy, meta: ProposalMeta,
) -> ProposalSql:
    """The SQL part of the rule for the proposal at `tip`, rehearsed as merged onto `onto`
    (the commit of main its merge lands on: its chain, its schemas, its sample folder)."""
    # Commits are immutable, so the answer is too, unless it reads a live database.
    key = (str(git.path), onto, tip, proposal_id, policy.storage, policy.dry_run)
    live = policy.dry_run.sample_dsn is not None or policy.dry_run.postgres_dsn is not None
    if not live and key in _MEMO:
        return _MEMO[key]
    result = _check(git, onto, tip, proposal_id, policy, meta)
    if not live:
        if len(_MEMO) >= MEMO_SIZE:
            _MEMO.clear()
        _MEMO[key] = result
    return result


def _check(
    git: GitRepo, onto: str, tip: str, proposal_id: str, policy: Policy, meta: ProposalMeta,
) -> ProposalSql:
    statements = classify_files(git, tip, proposal_id, policy, meta.target_artifact_type)
    problems = [f"refused migration SQL: {x}" for x in _findings(statements, "refused")]
    destructive = _findings(statements, "destructive")
    rehearsals: list[Rehearsal] = []
    skipped = None
    if problems:
        skipped = "refused SQL is never run, not even on a scratch database"
    elif meta.proposal_type == "governance":
        skipped = "a governance proposal changes senate.toml, not the database"
    else:
        dialects = ["sqlite"] + (["postgres"] if policy.dry_run.postgres_dsn else [])
        rehearsals = [rehearse(git, onto, tip, proposal_id, policy, d) for d in dialects]
        for r in rehearsals:
            problems += r.problems
            destructive += r.destructive
    notes = required_field_notes(meta, rehearsals)
    return ProposalSql(tuple(dict.fromkeys(problems)), tuple(dict.fromkeys(destructive)),
                       statements, tuple(rehearsals), notes, skipped)


def _findings(statements: tuple[FileVerdict, ...], kind: str) -> list[str]:
    """One line per statement and verdict, naming every dialect it holds for."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for s in statements:
        if s.verdict.kind == kind:
            grouped.setdefault((s.file, s.verdict.describe()), []).append(s.dialect)
    return [f"{name} ({', '.join(dialects)}) {text}"
            for (name, text), dialects in grouped.items()]


def required_field_notes(meta: ProposalMeta, rehearsals: list[Rehearsal]) -> tuple[str, ...]:
    spec = meta.field_spec
    if meta.change_type != "add_field" or not meta.required or (
        isinstance(spec, dict) and "default" in spec
    ):
        return ()
    what = f"{meta.target_artifact_type}.{meta.field}"
    sentence = (f"{what} is added as a required field without a default: existing "
                f"{meta.target_artifact_type} artifacts become invalid unless the proposer's "
                "SQL backfills them.")
    done = [r for r in rehearsals if r.effect is not None]
    if not done:
        return (sentence + " The dry run did not complete, so this is not proven either way.",)
    bad = sum(len(r.invalid) for r in done)
    proof = (f" The dry run found {bad} artifact(s) invalid afterwards: the SQL does not "
             "backfill them all." if bad else
             " The dry run found every sample artifact valid afterwards: the SQL backfills them.")
    return (sentence + proof,)
