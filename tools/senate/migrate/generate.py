"""`senate migrate generate`: one commit on main adding the migrations of merged proposals.

Numbers follow main's first-parent merge order, so two proposals merged in parallel get
distinct, ordered numbers; main is updated with a compare-and-swap, so a generation racing
a merge writes nothing and is simply run again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from senate.errors import UsageError
from senate.git import GitRepo, Person
from senate.git.repo import MAIN
from senate.migrate.chain import (
    DIALECT_NAMES,
    HISTORY_MARKER,
    SUM_FILE,
    UP_RE,
    ChainError,
    check_sum,
    dialect_dir,
    render_sum,
)
from senate.migrate.render import Change, migration_name, render_baseline, render_change
from senate.policy import Storage
from senate.proposal import PROPOSALS_DIR, load_meta
from senate.proposals import main_tip, policy_at
from senate.registry import list_types, load_schema, parse_schema, schema_path, version_of
from senate.trailers import parse_trailers

SENATE = Person("senate", "senate@agents.invalid")
BASELINE = "0000_baseline"


@dataclass(frozen=True)
class Merged:
    commit: str
    proposal_id: str


@dataclass(frozen=True)
class Generated:
    commit: str | None
    migrations: tuple[str, ...]
    files: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"commit": self.commit, "migrations": list(self.migrations),
                "files": list(self.files)}


def merged_proposals(git: GitRepo, tip: str) -> list[Merged]:
    """Merge commits on main's first-parent line naming a schema proposal, oldest first."""
    # A commit id fixes its whole first-parent line, so what was found for one commit holds
    # for ever: each call reads only the commits newer than the newest one already seen
    # (every dry run asks again, one merge further along).
    return _merges_since(git, tip, set(), {})[0]


# commit -> (the previous commit of its first-parent line, the merge it records or None)
_SEEN: dict[str, tuple[str | None, Merged | None]] = {}


def _see(git: GitRepo, tip: str) -> None:
    """Make _SEEN hold every commit of `tip`'s first-parent line."""
    walked: list[str] = []
    stop: str | None = None
    for oid in git.first_parent_history(tip):
        if oid in _SEEN:
            stop = oid
            break
        walked.append(oid)
    for oid in reversed(walked):
        _SEEN[oid] = (stop, _merged_at(git, oid))
        stop = oid


def _merges_since(git: GitRepo, tip: str, done: set[str],
                  index: dict[str, int]) -> tuple[list[Merged], int]:
    """The merged proposals on `tip`'s first-parent line, those in `done` aside, newer than
    the newest merge `index` holds (oldest first), and that merge's place in `index` (-1:
    it holds none, and the list is every one). A walk back to the newest known merge, not
    to the root: each dry run asks again, one merge further along."""
    _see(git, tip)
    newer: list[Merged] = []
    at: str | None = tip
    while at is not None:
        older, found = _SEEN[at]
        if found is not None and found.proposal_id not in done:
            place = index.get(found.commit)
            if place is not None:
                return newer[::-1], place
            newer.append(found)
        at = older
    return newer[::-1], -1


def _merged_at(git: GitRepo, oid: str) -> Merged | None:
    if len(git.commit_parents(oid)) < 2:
        return None
    ids = [t.value for t in parse_trailers(git.commit_message(oid))
           if t.key.lower() == "senate-proposal"]
    if len(ids) == 1 and not _governance(git, oid, ids[0]):
        return Merged(oid, ids[0])
    return None


def _governance(git: GitRepo, merge: str, proposal_id: str) -> bool:
    """A governance proposal edits senate.toml only: there is no migration to generate."""
    import json

    raw = git.read_file(merge, f"{PROPOSALS_DIR}/{proposal_id}/proposal.json")
    try:
        return raw is not None and json.loads(raw).get("proposal_type") == "governance"
    except (ValueError, AttributeError):
        return False  # load_change reports the malformed metadata


def _iso(when: int) -> str:
    return datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_change(git: GitRepo, merged: Merged, number: int, dialect: str) -> Change:
    first_parent = git.commit_parents(merged.commit)[0]
    return change_between(git, merged.proposal_id, merged.commit, first_parent, number,
                          dialect, _iso(git.commit_time(merged.commit)))


def change_between(git: GitRepo, proposal_id: str, new_rev: str, old_rev: str, number: int,
                   dialect: str, approved_at: str) -> Change:
    """The change a proposal makes from `old_rev` to `new_rev` (a merge and its first
    parent; `senate impact` passes an open proposal's tip and base)."""
    folder = f"{PROPOSALS_DIR}/{proposal_id}"
    raw = git.read_file(new_rev, f"{folder}/proposal.json")
    if raw is None:
        raise UsageError(f"{new_rev[:12]} names {proposal_id}, "
                         f"but {folder}/proposal.json is not in its tree")
    meta = load_meta(raw, f"{folder}/proposal.json@{new_rev[:12]}")
    path = schema_path(meta.target_artifact_type)
    new_raw = git.read_file(new_rev, path)
    if new_raw is None:
        raise UsageError(f"{path} is missing at {new_rev[:12]}")
    new_schema = parse_schema(new_raw, path)
    old_raw = git.read_file(old_rev, path)
    old_version = version_of(parse_schema(old_raw, path)) if old_raw is not None else None
    sql_file = f"migration.{dialect}.sql"
    sql = git.read_file(new_rev, f"{folder}/{sql_file}")
    if sql is None:
        sql_file = "migration.sql"
        sql = git.read_file(new_rev, f"{folder}/{sql_file}") or b""
    text = sql.decode("utf-8")
    _check_proposer_sql(meta.id, f"{folder}/{sql_file}", text, dialect)
    return Change(number, meta, new_schema, old_version, version_of(new_schema),
                  approved_at, text, sql_file)


def _check_proposer_sql(proposal_id: str, path: str, sql: str, dialect: str) -> None:
    from senate.sqlcheck import classify

    if HISTORY_MARKER in sql:
        raise UsageError(f"{path} contains the line {HISTORY_MARKER!r}, which Senate reserves "
                         "for the migration's history row")
    # The counter blocks every refused statement; generation keeps refusing what cannot
    # be parsed at all (a merged proposal has passed the count already).
    refused = [v for v in classify(sql, dialect).refused if v.reason.startswith("does not parse")]
    if refused:
        raise UsageError(
            f"{path} ({dialect}) does not parse: "
            + "; ".join(e.describe() for e in refused),
            f"proposal {proposal_id} should not have been approved; fix it in a new proposal",
        )


def root_commit(git: GitRepo, tip: str) -> str:
    """Where governance starts: the root, or the adoption commit of an adopted repository
    (the baseline holds the registry as it was adopted, not as it was years before)."""
    from senate.adopt import governance_start

    line, _ = git.first_parent_history_index(tip)
    known = _STARTS.get(line[0])
    if known is not None and known[0] < len(line) and line[known[0]] == known[1]:
        return known[1]
    start = governance_start(git, list(line))
    if start.adoption is not None:
        # The scan from the root stops at the first adoption: on any line holding that
        # commit at that place, the commits before it are the same, and so is the answer.
        # (A refused adoption starts governance at the root; not remembered, since a line
        # without that commit may hold a sound one.)
        _STARTS[line[0]] = (start.index, start.adoption)
    return line[start.index]


# root commit -> (index, adoption commit) where governance starts on lines holding it
_STARTS: dict[str, tuple[int, str]] = {}


def plan(
    git: GitRepo, tip: str, dialects: tuple[str, ...] = DIALECT_NAMES
) -> tuple[dict[str, bytes], list[str]]:
    """The files to write on top of `tip`, and the names of the new migrations."""
    storage: Storage = policy_at(git, tip).storage
    merged = merged_proposals(git, tip)
    changes: dict[str, bytes] = {}
    names: list[str] = []
    for dialect in dialects:
        folder = dialect_dir(dialect)
        files, done = _committed(git, tip, dialect)
        new: dict[str, bytes] = {}
        if f"{BASELINE}.sql" not in files:
            new[f"{BASELINE}.sql"] = _baseline(git, root_commit(git, tip), storage, dialect)
        number = sum(1 for n in files if UP_RE.match(n)) + len(new)
        for m in merged:
            if m.proposal_id in done:
                continue
            up, down = _rendered(git, m, number, dialect, storage)
            name = migration_name(number, m.proposal_id)
            new[f"{name}.sql"] = up.encode()
            if down is not None:
                new[f"{name}.down.sql"] = down.encode()
            number += 1
        if not new:
            continue
        changes.update({f"{folder}/{n}": data for n, data in new.items()})
        changes[f"{folder}/{SUM_FILE}"] = render_sum({**files, **new})
        names += [f"{dialect}/{n}" for n in sorted(new) if not n.endswith(".down.sql")]
    return changes, names


_BASELINES: dict[tuple[str, Storage, str], bytes] = {}


def _baseline(git: GitRepo, root: str, storage: Storage, dialect: str) -> bytes:
    # The registry as governance found it: a pure function of that commit.
    key = (root, storage, dialect)
    if key not in _BASELINES:
        if len(_BASELINES) > 64:
            _BASELINES.clear()
        schemas = {t: load_schema(git, t, root) for t in list_types(git, root)}
        text = render_baseline(schemas, storage, dialect, _iso(git.commit_time(root)))
        _BASELINES[key] = text.encode()
    return _BASELINES[key]


_RENDERED: dict[tuple[str, str, int, str, Storage], tuple[str, str | None]] = {}


def _rendered(git: GitRepo, merged: Merged, number: int, dialect: str,
              storage: Storage) -> tuple[str, str | None]:
    # A merged proposal's migration is a pure function of its merge commit (and its first
    # parent, fixed by it), its number, the dialect and the storage names; every dry run
    # renders the whole chain so far again, so remember each one.
    key = (merged.commit, merged.proposal_id, number, dialect, storage)
    if key not in _RENDERED:
        if len(_RENDERED) > 20_000:
            _RENDERED.clear()
        _RENDERED[key] = render_change(load_change(git, merged, number, dialect), storage,
                                       dialect)
    return _RENDERED[key]


@dataclass
class _Pending:
    """The chain at some commit of main, for one state of the migrations folder."""

    prefix: tuple[str, ...]  # the committed migrations (and the baseline when generated)
    number: int  # the number the first pending migration gets
    merges: list[str]  # merge commits rendered so far, oldest first
    texts: list[str]  # their migrations, in the same order
    index: dict[str, int]  # merge commit -> its place in `merges`


# (folder tree, storage, dialect, root when the baseline is generated) -> the latest chain
_PENDING: dict[tuple[str | None, Storage, str, str | None], _Pending] = {}


def chain_at(git: GitRepo, tip: str, dialect: str) -> tuple[str, ...]:
    """The up migrations `senate migrate generate` would leave at `tip`, in order: what
    is committed, then what generation would add. The same texts as `plan`, without
    re-rendering the whole chain for each commit: every count renders it again one merge
    further along, and an audit counts every merge."""
    with _PENDING_LOCK:  # the API counts in several threads; entries grow in place
        return _chain_at(git, tip, dialect)


_PENDING_LOCK = threading.Lock()


def _chain_at(git: GitRepo, tip: str, dialect: str) -> tuple[str, ...]:
    from senate.migrate.chain import check_numbers, up_migrations

    storage: Storage = policy_at(git, tip).storage
    entry = git.tree_entry(git.commit_tree(tip), dialect_dir(dialect))
    files, done = _committed(git, tip, dialect)
    committed = up_migrations(files)
    has_baseline = f"{BASELINE}.sql" in files
    if check_numbers(dialect, committed) or (committed and not has_baseline):
        return _chain_by_plan(git, tip, dialect, files)  # an odd chain: the plain way
    root = None if has_baseline else root_commit(git, tip)
    key = (entry[1] if entry else None, storage, dialect, root)
    known = _PENDING.get(key)
    if known is None:
        prefix = tuple(m.text for m in committed)
        if root is not None:
            prefix += (_baseline(git, root, storage, dialect).decode(),)
        known = _Pending(prefix, len(committed) + (root is not None), [], [], {})
        if len(_PENDING) > 16:
            _PENDING.clear()
        _PENDING[key] = known
    # A commit id fixes its first-parent line, so the merges up to a known one are the
    # known ones before it, in the same order.
    newer, at = _merges_since(git, tip, done, known.index)
    if not newer:  # the commit last asked about, or an older one on its line
        return known.prefix + tuple(known.texts[:at + 1])
    if at < len(known.merges) - 1:  # another line: keep what the two share
        kept = known.merges[:at + 1]
        known = _Pending(known.prefix, known.number, kept, known.texts[:at + 1],
                         {c: i for i, c in enumerate(kept)})
        _PENDING[key] = known
    for m in newer:
        number = known.number + len(known.texts)
        if number > 9999:  # four digits no longer sort by number
            return _chain_by_plan(git, tip, dialect, files)
        up, _ = _rendered(git, m, number, dialect, storage)
        known.texts.append(up.encode().decode())  # what a file written and read holds
        known.index[m.commit] = len(known.merges)
        known.merges.append(m.commit)
    return known.prefix + tuple(known.texts)


def _chain_by_plan(git: GitRepo, tip: str, dialect: str,
                   files: dict[str, bytes]) -> tuple[str, ...]:
    from senate.migrate.chain import up_migrations

    folder = dialect_dir(dialect)
    changes, _ = plan(git, tip, (dialect,))
    merged = dict(files)
    merged.update({p[len(folder) + 1:]: data for p, data in changes.items()
                   if p.startswith(folder + "/") and not p.endswith(SUM_FILE)})
    return tuple(m.text for m in up_migrations(merged))


def _committed(git: GitRepo, tip: str, dialect: str) -> tuple[dict[str, bytes], set[str]]:
    """The migration files committed at `tip` (the sum aside, checked against them) and
    the proposals they hold."""
    folder = dialect_dir(dialect)
    files = {n: git.read_file(tip, f"{folder}/{n}") or b""
             for n in git.list_dir(tip, folder) if n != SUM_FILE}
    problems = check_sum(dialect, files, git.read_file(tip, f"{folder}/{SUM_FILE}"))
    if problems:
        raise ChainError("will not extend a broken migration chain: " + "; ".join(problems))
    return files, {match.group(2) for n in files if (match := UP_RE.match(n))}


def generated_tree(git: GitRepo, parent: str) -> str | None:
    """The tree `senate migrate generate` writes on `parent`, None when it has nothing to
    write. Generation is deterministic (templates over committed data), so any commit that
    touches migrations/ can be checked against it: the chain's checksums alone cannot stop
    someone who rewrites a migration and its checksums together."""
    changes, _ = plan(git, parent)
    return git.build_tree(parent, changes) if changes else None


def generate(git: GitRepo) -> Generated:
    """Write the missing migrations as one unsigned commit on main (compare-and-swap)."""
    tip = main_tip(git)
    changes, names = plan(git, tip)
    if not changes:
        return Generated(None, (), ())
    tree = git.build_tree(tip, changes)
    listed = "\n".join(f"- {n}" for n in names)
    message = f"migrate: generate {len(names)} migration file(s)\n\n{listed}\n"
    commit = git.write_commit(git.commit_buffer(tree, [tip], SENATE, SENATE, message))
    git.update_ref(f"refs/heads/{MAIN}", commit, tip)
    git.checkout_main_if_head()
    return Generated(commit, tuple(names), tuple(sorted(changes)))
