"""A thin, typed wrapper over pygit2 for the handful of operations Senate needs."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pygit2
from pygit2.enums import DeltaStatus, DiffOption, FileMode, ObjectType, SortMode

from senate.boundedmemo import BoundedDict
from senate.errors import ConflictError, GitError, NotFoundError, UsageError

MAIN = "main"
# A commit object's first headers: its tree, then zero or more parents.
_HEX = re.compile(r"[0-9a-f]{40}\Z")
_HEAD = re.compile(rb"tree ([0-9a-f]{40})\n((?:parent [0-9a-f]{40}\n)*)")
_STATUS = {
    DeltaStatus.ADDED: "A", DeltaStatus.DELETED: "D", DeltaStatus.MODIFIED: "M",
    DeltaStatus.TYPECHANGE: "T",
}


@dataclass(frozen=True)
class RawDelta:
    """One line of `git diff --raw --no-abbrev --no-renames`: modes, blob ids, status, path."""

    old_mode: int
    new_mode: int
    old_id: str
    new_id: str
    status: str  # A, D, M or T
    path: bytes  # as stored in the tree: any bytes but NUL and '/' separators

    @property
    def name(self) -> str:
        """The path as text; bytes that are not UTF-8 become surrogates (never equal to a
        governed name, which is ASCII)."""
        return self.path.decode("utf-8", "surrogateescape")


@dataclass(frozen=True)
class Person:
    """Who a commit is by; `when` is a Unix time, None meaning now."""

    name: str
    email: str
    when: int | None = None
    offset_minutes: int = 0

    def signature(self) -> pygit2.Signature:
        when = int(time.time()) if self.when is None else self.when
        return pygit2.Signature(self.name, self.email, when, self.offset_minutes)


# libgit2 keeps in its object cache only trees under 4 KB by default; main's proposals/
# folder outgrows that after ~100 proposals, and every read of a file under it would then
# inflate the whole folder again.
pygit2.settings.cache_object_limit(ObjectType.TREE, 4 << 20)


class _Replacing(dict[str, Any]):
    """Removals inside a folder, and of a file of the folder's name (one of them is there)."""


def _nest(entries: Mapping[str, tuple[int, str] | None]) -> dict[str, Any]:
    """Paths as nested folders. Two additions where one path is a folder of the other
    cannot both be in a tree; two removals can be asked for (one of them is a no-op)."""
    nested: dict[str, Any] = {}
    for path, entry in entries.items():
        *folders, name = path.split("/")
        if not name or name in (".", "..") or any(p in ("", ".", "..") for p in folders):
            raise UsageError(f"{path!r} is not a path a tree can hold")
        node = nested
        for part in folders:
            if part in node and node[part] is None:
                node[part] = _Replacing()
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise UsageError(f"{path} is both a file and inside a folder of that name")
        if isinstance(node.get(name), dict):
            if entry is not None:
                raise UsageError(f"{path} is both a file and inside a folder of that name")
            node[name] = _Replacing(node[name])
        else:
            node[name] = entry
    return nested


class GitRepo:
    """One repository, bare or with a work tree."""

    def __init__(self, repo: pygit2.Repository) -> None:
        self._repo = repo
        # main's first-parent line, oldest first, by tip: a long-running process (the API
        # server, an audit) extends it instead of reading all of history again.
        self._lines: dict[str, tuple[tuple[str, ...], dict[str, int]]] = {}
        # Objects never change under their id: a commit's header, a tree, a small file at
        # a path of a tree. A count reads the same few dozen of them many times over, and
        # an audit reads each merge's base again as the next merge's parent. Bounded, and
        # only what was found is kept (a missing object may arrive with the next fetch).
        self._heads: BoundedDict[str, tuple[str, tuple[str, ...]]] = BoundedDict(_KEEP_HEADS)
        self._trees: BoundedDict[str, pygit2.Tree] = BoundedDict(_KEEP_TREES)
        self._files: BoundedDict[tuple[str, str], bytes | None] = BoundedDict(_KEEP_FILES)
        self._diffs: BoundedDict[tuple[str, str], tuple[RawDelta, ...]] = BoundedDict(
            _KEEP_DIFFS)

    # -- opening -------------------------------------------------------------------
    @classmethod
    def open(cls, path: str | Path) -> GitRepo:
        try:
            repo = pygit2.Repository(str(path))
        except (pygit2.GitError, KeyError) as exc:
            raise NotFoundError(
                f"{path} is not a git repository",
                "pass --repo PATH pointing at a governed repository (made by `senate init`)",
            ) from exc
        return cls(repo)

    @classmethod
    def init(cls, path: str | Path, *, bare: bool = False) -> GitRepo:
        try:
            repo = pygit2.init_repository(str(path), bare=bare, initial_head=MAIN)
        except pygit2.GitError as exc:
            raise GitError(f"cannot create a git repository at {path}: {exc}") from exc
        return cls(repo)

    @property
    def pygit2_repo(self) -> pygit2.Repository:
        """The underlying handle, for the other modules of this package only."""
        return self._repo

    @property
    def path(self) -> Path:
        return Path(self._repo.path)

    @property
    def workdir(self) -> Path | None:
        return Path(self._repo.workdir) if self._repo.workdir else None

    @property
    def is_bare(self) -> bool:
        return bool(self._repo.is_bare)

    # -- reading -------------------------------------------------------------------
    def resolve(self, rev: str) -> str:
        """Turn a branch name, ref or (abbreviated) commit id into a commit id."""
        try:
            obj = self._repo.revparse_single(rev)
            commit = obj.peel(pygit2.Commit)
        except (KeyError, ValueError, pygit2.GitError, pygit2.InvalidSpecError) as exc:
            raise NotFoundError(f"no commit named {rev!r} in {self.path}") from exc
        return str(commit.id)

    def ref_target(self, name: str) -> str | None:
        """The commit a full ref name points at, or None when it does not exist."""
        ref = self._repo.references.get(name)
        if ref is None:
            return None
        return str(ref.resolve().target)

    def branch_tip(self, branch: str) -> str | None:
        return self.ref_target(f"refs/heads/{branch}")

    def ref_names(self, prefix: str) -> list[str]:
        return [name for name in self._repo.references if name.startswith(prefix)]

    def refs(self, prefix: str) -> dict[str, str]:
        """Every ref under `prefix` (e.g. 'refs/heads/proposal/') -> the commit it names."""
        out: dict[str, str] = {}
        for name in self._repo.references:
            if name.startswith(prefix):
                target = self._repo.references[name].resolve().target
                try:
                    out[name] = str(self._repo[target].peel(pygit2.Commit).id)
                except (pygit2.GitError, ValueError, KeyError):
                    out[name] = str(target)  # unparseable: its readers judge it
        return out

    def raw_commit(self, oid: str) -> bytes:
        """The commit object exactly as stored: what signatures are made over."""
        try:
            obj_type, data = self._repo.odb.read(oid)
        except (KeyError, ValueError) as exc:
            raise NotFoundError(f"no object {oid}") from exc
        if obj_type != ObjectType.COMMIT:
            raise NotFoundError(f"{oid} is not a commit")
        return bytes(data)

    def read_commit(self, oid: str) -> bytes | None:
        """The raw bytes of commit `oid`, or None when it is missing, not a commit, or not
        even an object id. Never parses: a crafted object libgit2 would refuse (a date of
        2**63) is still returned, for Senate's own parser to judge."""
        try:
            obj_type, data = self._repo.odb.read(pygit2.Oid(hex=oid))
        except (KeyError, ValueError, TypeError, pygit2.GitError):
            return None
        return bytes(data) if obj_type == ObjectType.COMMIT else None

    @staticmethod
    def head_of(data: bytes) -> tuple[str, tuple[str, ...]] | None:
        """(tree, parents) from a raw commit's first headers; None when malformed."""
        m = _HEAD.match(data)
        if m is None:
            return None
        parents = m.group(2)
        return m.group(1).decode("ascii"), tuple(
            parents[i + 7 : i + 47].decode("ascii") for i in range(0, len(parents), 48)
        )

    def commit_head(self, oid: str) -> tuple[str, tuple[str, ...]] | None:
        """(tree, parents) of commit `oid` read raw; None when it cannot be read."""
        known = self._heads.get(oid)
        if known is not None:
            return known
        data = self.read_commit(oid)
        head = self.head_of(data) if data is not None else None
        if head is not None:
            self._heads.keep(oid, head)
        return head

    def first_parent_history_index(
        self, tip: str
    ) -> tuple[tuple[str, ...], dict[str, int]]:
        """Main's first-parent history from the root to `tip`, read from raw objects,
        with each commit's position in it.

        GitError when a commit on it cannot be read: main's own history must be sound.
        """
        known = self._lines.get(tip)
        if known is not None:
            return known
        newest: list[str] = []
        oid: str | None = tip
        older: tuple[str, ...] = ()
        while oid is not None:
            cached = self._lines.get(oid)
            if cached is not None:
                older = cached[0]
                break
            data = self.read_commit(oid)
            head = self.head_of(data) if data is not None else None
            if head is None:
                raise GitError(f"commit {oid[:12]} on main's first-parent history cannot be "
                               "read", "repair the repository (`git fsck`)")
            newest.append(oid)
            oid = head[1][0] if head[1] else None
        line = older + tuple(reversed(newest))
        if len(self._lines) > 16:
            self._lines.clear()
        entry = self._lines[tip] = (line, {o: n for n, o in enumerate(line)})
        return entry

    def raw_diff(self, old_tree: str, new_tree: str) -> list[RawDelta]:
        """`git diff --raw --no-abbrev --no-renames OLD NEW` over two trees, as values."""
        if old_tree == new_tree and self._is_tree(old_tree):
            return []
        known = self._diffs.get((old_tree, new_tree))
        if known is not None:
            return list(known)
        found = self._raw_diff(old_tree, new_tree)
        if len(found) <= _KEEP_DIFF_DELTAS:
            self._diffs.keep((old_tree, new_tree), tuple(found))
        return found

    def _is_tree(self, oid: str) -> bool:
        if oid in self._trees:
            return True
        try:
            return isinstance(self._repo[pygit2.Oid(hex=oid)], pygit2.Tree)
        except (KeyError, ValueError, pygit2.GitError):
            return False

    def _raw_diff(self, old_tree: str, new_tree: str) -> list[RawDelta]:
        try:
            old = self._repo[pygit2.Oid(hex=old_tree)]
            new = self._repo[pygit2.Oid(hex=new_tree)]
            if not isinstance(old, pygit2.Tree) or not isinstance(new, pygit2.Tree):
                raise GitError(f"{old_tree[:12]} or {new_tree[:12]} is not a tree")
            diff = old.diff_to_tree(new, flags=DiffOption.INCLUDE_TYPECHANGE)
            out = [
                RawDelta(d.old_file.mode, d.new_file.mode, str(d.old_file.id),
                         str(d.new_file.id), _STATUS[d.status],
                         d.new_file.raw_path if d.status != DeltaStatus.DELETED
                         else d.old_file.raw_path)
                for d in diff.deltas
            ]
        except (KeyError, ValueError, pygit2.GitError) as exc:
            raise GitError(f"cannot compare trees {old_tree[:12]} and {new_tree[:12]}: "
                           f"{exc}") from exc
        return sorted(out, key=lambda d: d.path)

    def tree_entry(self, tree: str, path: str) -> tuple[int, str] | None:
        """(mode, object id) at `path` in tree `tree`; None when absent."""
        try:
            obj = self._repo[pygit2.Oid(hex=tree)]
            if not isinstance(obj, pygit2.Tree):
                return None
            entry = obj[path]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return int(entry.filemode), str(entry.id)

    def blob(self, oid: str) -> bytes | None:
        try:
            obj = self._repo[pygit2.Oid(hex=oid)]
        except (KeyError, ValueError, pygit2.GitError):
            return None
        return bytes(obj.data) if isinstance(obj, pygit2.Blob) else None

    def commit_tree(self, oid: str) -> str:
        # From the raw header: a commit libgit2 refuses to parse (a crafted date) still
        # names its tree, and readers must be able to show what it holds.
        head = self.commit_head(oid) if len(oid) == 40 else None
        return head[0] if head is not None else str(self._commit(oid).tree_id)

    def commit_parents(self, oid: str) -> list[str]:
        return [str(p) for p in self._commit(oid).parent_ids]

    def commit_time(self, oid: str) -> int:
        return int(self._commit(oid).commit_time)

    def commit_message(self, oid: str) -> str:
        return str(self._commit(oid).message)

    def read_file(self, rev: str, path: str) -> bytes | None:
        """File content at `path` in the tree of commit `rev`, None when absent."""
        tree = self._tree_at(rev)
        key = (str(tree.id), path)
        known = self._files.get(key, _UNKNOWN)
        if known is not _UNKNOWN:
            return known   # type: ignore[return-value]
        try:
            entry = tree[path]
        except KeyError:
            found = None
        else:
            obj = self._repo[entry.id]
            found = bytes(obj.data) if isinstance(obj, pygit2.Blob) else None
        if found is None or len(found) <= _KEEP_FILE_BYTES:
            self._files.keep(key, found)
        return found

    def blob_id(self, rev: str, path: str) -> str | None:
        tree = self._tree_at(rev)
        try:
            return str(tree[path].id)
        except KeyError:
            return None

    def list_dir(self, rev: str, path: str) -> list[str]:
        """Names directly under folder `path` at `rev` (empty when the folder is absent)."""
        tree = self._tree_at(rev)
        try:
            sub = tree[path] if path else tree
        except KeyError:
            return []
        obj = self._repo[sub.id]
        if not isinstance(obj, pygit2.Tree):
            return []
        return sorted(entry.name for entry in obj if entry.name is not None)

    def merge_base(self, a: str, b: str) -> str | None:
        try:
            base = self._repo.merge_base(pygit2.Oid(hex=a), pygit2.Oid(hex=b))
        except pygit2.GitError as exc:
            raise GitError(f"cannot walk history of {a[:12]} and {b[:12]}: {exc}") from exc
        return str(base) if base is not None else None

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        if ancestor == descendant:
            return True
        try:
            return bool(
                self._repo.descendant_of(pygit2.Oid(hex=descendant), pygit2.Oid(hex=ancestor))
            )
        except pygit2.GitError as exc:
            raise GitError(f"cannot walk history from {descendant[:12]}: {exc}") from exc

    def walk(self, tip: str, hide: str | None = None) -> list[str]:
        """Commits reachable from `tip` but not from `hide`, oldest first, parents first."""
        try:
            walker = self._repo.walk(pygit2.Oid(hex=tip),
                                     SortMode.TOPOLOGICAL | SortMode.REVERSE)
            if hide is not None:
                walker.hide(pygit2.Oid(hex=hide))
            return [str(c.id) for c in walker]
        except pygit2.GitError as exc:
            raise GitError(f"cannot walk history from {tip[:12]}: {exc}") from exc

    def first_parent_history(self, tip: str) -> Iterator[str]:
        """`git log --first-parent`, newest first."""
        oid: str | None = tip
        while oid is not None:
            yield oid
            parents = self._commit(oid).parent_ids
            oid = str(parents[0]) if parents else None

    def changed_paths(self, old_rev: str | None, new_rev: str) -> list[str]:
        """Paths whose content differs between two commits (old None: the empty tree)."""
        new_tree = self._tree_at(new_rev)
        if old_rev is None:
            diff = new_tree.diff_to_tree(swap=True)
        else:
            diff = self._tree_at(old_rev).diff_to_tree(new_tree)
        paths: set[str] = set()
        for delta in diff.deltas:
            paths.add(delta.old_file.path)
            paths.add(delta.new_file.path)
        return sorted(paths)

    def unified_diff(self, base: str, tip: str, paths: list[str] | None = None) -> str:
        diff = self._tree_at(base).diff_to_tree(self._tree_at(tip), context_lines=3)
        if paths is None:
            return str(diff.patch or "")
        chunks = [
            p.text or "" for p in diff if p is not None and p.delta.new_file.path in paths
        ]
        return "".join(chunks)

    # -- writing -------------------------------------------------------------------
    def build_tree(self, base: str | None, changes: Mapping[str, bytes | None]) -> str:
        """A tree: commit `base`'s tree with files written (bytes) or removed (None)."""
        return self.edit_tree(None if base is None else self.commit_tree(base), changes)

    def edit_tree(self, tree: str | None, changes: Mapping[str, bytes | None]) -> str:
        """Tree `tree` (None: empty) with files written (bytes) or removed (None)."""
        return self.overlay_tree(tree, {
            path: None if content is None
            else (int(FileMode.BLOB), str(self._repo.create_blob(content)))
            for path, content in changes.items()
        })

    def overlay_tree(
        self, tree: str | None, entries: Mapping[str, tuple[int, str] | None]
    ) -> str:
        """Tree `tree` (None: empty) with each path set to an existing (mode, object id),
        or removed. Only the folders on the way to a changed path are rebuilt, so the cost
        follows what changes, not how many proposals main holds."""
        base: pygit2.Tree | None = None
        if tree is not None:
            found = self._repo[pygit2.Oid(hex=tree)]
            if not isinstance(found, pygit2.Tree):
                raise NotFoundError(f"{tree} is not a tree")
            base = found
        # Removals first, then additions: the result is the final set of files, whatever
        # order the paths come in (a folder replaced by a file of its name, or the reverse).
        gone = _nest({p: e for p, e in entries.items() if e is None})
        put = _nest({p: e for p, e in entries.items() if e is not None})
        after = self._overlay(base, gone, adding=False) if gone else base
        if put:
            after = self._overlay(after, put, adding=True)
        return str(after.id if after is not None else self._repo.TreeBuilder().write())

    def _overlay(self, base: pygit2.Tree | None, nested: dict[str, Any],
                 adding: bool) -> pygit2.Tree | None:
        """The tree `base` with `nested` applied; None when nothing is left in it."""
        builder = self._repo.TreeBuilder(base) if base is not None else self._repo.TreeBuilder()
        for name, value in nested.items():
            existing: Any = builder.get(name)
            is_folder = existing is not None and existing.filemode == FileMode.TREE
            if isinstance(value, dict):
                if existing is not None and not is_folder:
                    if adding:
                        raise UsageError(f"{name} is a file where a change needs a folder")
                    if isinstance(value, _Replacing):
                        builder.remove(name)
                    continue  # nothing lies under a file
                inner: Any = self._repo[existing.id] if is_folder else None
                sub = self._overlay(inner, value, adding)
                if sub is not None:
                    builder.insert(name, sub.id, FileMode.TREE)
                elif existing is not None:
                    builder.remove(name)
            elif value is None:
                if existing is not None and not is_folder:  # paths name files, never folders
                    builder.remove(name)
            else:
                if is_folder:
                    raise UsageError(f"{name} is a folder where a change needs a file")
                builder.insert(name, pygit2.Oid(hex=value[1]), FileMode(value[0]))
        if not len(builder):
            return None
        tree = self._repo[builder.write()]
        assert isinstance(tree, pygit2.Tree)
        return tree

    def commit_buffer(
        self, tree: str, parents: list[str], author: Person, committer: Person, message: str
    ) -> bytes:
        """The bytes of a commit object, ready to sign; nothing is written."""
        text: Any = self._repo.create_commit_string(
            author.signature(),
            committer.signature(),
            message,
            pygit2.Oid(hex=tree),
            [pygit2.Oid(hex=p) for p in parents],
        )
        return str(text).encode("utf-8")

    def write_commit(self, buffer: bytes, signature: str | None = None) -> str:
        """Store a commit object built by `commit_buffer`, signed when a signature is given."""
        if signature is None:
            return str(self._repo.odb.write(ObjectType.COMMIT, buffer))
        oid = self._repo.create_commit_with_signature(buffer.decode("utf-8"), signature)
        return str(oid)

    @staticmethod
    def hash_commit(data: bytes) -> str:
        """The id `data` would have as a commit object, without writing it."""
        return hashlib.sha1(b"commit %d\0" % len(data) + data).hexdigest()

    def write_raw_commit(self, data: bytes) -> str:
        """Store arbitrary commit bytes (used to receive commits built and signed elsewhere)."""
        return str(self._repo.odb.write(ObjectType.COMMIT, data))

    def create_ref(self, name: str, oid: str) -> None:
        """Create a ref; fails, never overwrites, when it exists (atomic via the lock file)."""
        try:
            self._repo.references.create(name, pygit2.Oid(hex=oid), force=False)
        except (pygit2.AlreadyExistsError, ValueError, pygit2.GitError, OSError) as exc:
            raise ConflictError(
                f"{name} already exists", "someone else created it first; pick another id"
            ) from exc

    def update_ref(self, name: str, new: str, expected_old: str) -> None:
        """Compare-and-swap: move `name` to `new` only if it still points at `expected_old`."""
        ref = self._repo.references.get(name)
        if ref is None or str(ref.target) != expected_old:
            raise ConflictError(
                f"{name} moved while we were working",
                "run the command again: it will read the new state",
            )
        try:
            ref.set_target(pygit2.Oid(hex=new), f"senate: {name} {expected_old[:12]}..{new[:12]}")
        except (pygit2.GitError, OSError) as exc:  # OSError: ref lock held
            raise ConflictError(
                f"{name} moved while we were working ({exc})",
                "run the command again: it will read the new state",
            ) from exc

    def delete_ref(self, name: str, expected_old: str) -> None:
        ref = self._repo.references.get(name)
        if ref is None or str(ref.target) != expected_old:
            raise ConflictError(f"{name} moved; not deleting it")
        ref.delete()

    def checkout_main_if_head(self) -> None:
        """After writing main, bring a work tree that has main checked out up to date."""
        if self._repo.is_bare or self._repo.head_is_unborn:
            return
        if self._repo.head.name != f"refs/heads/{MAIN}":
            return
        self._repo.checkout_head(  # type: ignore[no-untyped-call]
            strategy=pygit2.enums.CheckoutStrategy.FORCE
        )

    # -- helpers -------------------------------------------------------------------
    def _tree_at(self, rev: str) -> pygit2.Tree:
        """The tree of commit `rev` (an id, read raw when possible, or any revision)."""
        oid = self.commit_tree(rev if len(rev) == 40 and _HEX.match(rev) else self.resolve(rev))
        known = self._trees.get(oid)
        if known is not None:
            return known
        tree = self._repo[pygit2.Oid(hex=oid)]
        if not isinstance(tree, pygit2.Tree):
            raise GitError(f"{oid[:12]} is not a tree")
        self._trees.keep(oid, tree)
        return tree

    def _commit(self, oid: str) -> pygit2.Commit:
        try:
            obj = self._repo[pygit2.Oid(hex=oid)] if len(oid) == 40 else self._repo[oid]
        except pygit2.InvalidError as exc:  # a crafted object libgit2 cannot parse
            raise GitError(f"commit {oid[:12]} cannot be read: {exc}",
                           "a crafted or corrupt object; see `git fsck`") from exc
        except (KeyError, ValueError) as exc:
            raise NotFoundError(f"no commit {oid}") from exc
        if not isinstance(obj, pygit2.Commit):
            raise UsageError(f"{oid} is not a commit")
        return obj


_KEEP_HEADS = 16_384
_KEEP_TREES = 256
# at most 64 MiB of files; a diff of many paths (a hostile tip) is not kept
_KEEP_FILES = 1_024
_KEEP_FILE_BYTES = 64 * 1024
_KEEP_DIFFS = 64
_KEEP_DIFF_DELTAS = 512
_UNKNOWN = object()

