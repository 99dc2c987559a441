"""One schema document: local `$ref` resolution and the normalised view of each subschema.

A view is the keyword map the engine compares. It is the raw mapping itself whenever no
normalisation applies (no copies on the hot path); otherwise a new mapping where
draft-04/07 spellings are rewritten to 2020-12, a `$ref` or single-branch combinator is
inlined into its parent when that keeps the meaning, and `false` becomes the FALSE view.
Views are memoised by the identity of the raw node, and raw nodes stay alive through
the document, so identities are stable for the life of a comparison.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from senate.compat.dialect import ALL_KEYWORDS, DIALECTS, Dialect, dialect_of
from senate.compat.resources import Resources
from senate.compat.scan import MAX_NESTING, canonical, scan

View = Mapping[str, Any]

TRUE: View = {}
FALSE: View = {"not": {}}
# A view carrying this key could not be built; the engine reports it as unknown.
UNKNOWN_KEY = "$senate-unknown"
# A reference to another document: equal on both sides means unchanged, else unknown.
REMOTE_KEY = "$senate-remote"

_TRANSFORM_KEYS = frozenset(
    {"$ref", "allOf", "anyOf", "oneOf", "items", "additionalItems", "dependencies",
     "exclusiveMinimum", "exclusiveMaximum", "not", "$recursiveRef", "$dynamicRef",
     "unevaluatedProperties", "unevaluatedItems"}
)
# Keywords whose presence on both sides of an inlining would change what they see
# (additionalProperties only sees sibling properties, and so on): never merge those.
_SCOPED = (
    frozenset({"properties", "patternProperties", "additionalProperties",
               "unevaluatedProperties"}),
    frozenset({"prefixItems", "items", "unevaluatedItems", "contains", "minContains",
               "maxContains"}),
    frozenset({"if", "then", "else"}),
)
_MERGE_MAPS = frozenset({"properties", "$defs", "definitions", "dependentRequired",
                         "dependentSchemas"})
ANNOTATION_KEYS = frozenset({"$comment", "title", "description", "default", "examples",
                             "deprecated", "readOnly", "writeOnly"})
# Keywords that say nothing about validity: they never block inlining.
PASSIVE = frozenset(
    {"$schema", "$id", "id", "$anchor", "$dynamicAnchor", "$recursiveAnchor", "$defs",
     "definitions", "$vocabulary", "$comment", "title", "description", "default",
     "examples", "deprecated", "readOnly", "writeOnly"}
)


def _foreign(dialect: Dialect) -> frozenset[str]:
    """The keywords some draft gives meaning to and `dialect` does not: ignored in it."""
    return ALL_KEYWORDS - dialect.keywords - PASSIVE


FOREIGN = {name: _foreign(d) for name, d in DIALECTS.items()}
# Per dialect, the keywords whose presence alone never makes a view differ from its node:
# none foreign to it, none that is rewritten or inlined, no `$schema` (a switch of dialect
# below the root).
_PLAIN = {name: (ALL_KEYWORDS | PASSIVE) - _TRANSFORM_KEYS - FOREIGN[name] - {"$schema"}
          for name in DIALECTS}


class Document:
    """A schema document read in its dialect, with memoised views and reference scanning."""

    def __init__(self, root: Any, dialect: Dialect | None = None) -> None:
        self.root = root
        self.dialect = dialect or DIALECTS["2020-12"]
        self._foreign = FOREIGN.get(self.dialect.name) or _foreign(self.dialect)
        self._plain = _PLAIN.get(self.dialect.name) or frozenset()
        self._views: dict[int, View] = {}
        self._building: set[int] = set()
        self._dirty: dict[int, int] = {}
        self._resolved: dict[tuple[str, str], tuple[Any, str | None, str]] = {}
        self._resources: Resources | None = None
        # Nodes already in the engine's (2020-12) spelling: normalised views and nodes the
        # engine builds from them. Read again, they are their own view (never filtered as
        # the document's dialect again, which would drop what the translation added).
        self._native: set[int] = set()
        self.keep = Kept(self._native)  # constructed nodes whose ids are memo keys

    # -- reference scanning ---------------------------------------------------------

    def has_ref(self, node: Any) -> bool:
        """Whether a raw-equal counterpart may still mean something else (see scan.scan).

        Scanned lazily, subtree by subtree, and only where raw equality was found, so a
        comparison never walks the parts of a document that differ anyway. Scanning one
        side is enough: raw-equal containers have the same keys and shape.
        """
        return self.dirt(node) != 0

    def dirt(self, node: Any) -> int:
        kind = type(node)
        if kind is not dict and kind is not list:
            return 0
        bits = self._dirty.get(id(node))
        return scan(node, self._dirty) if bits is None else bits

    @property
    def resources(self) -> Resources:
        if self._resources is None:
            self._resources = Resources(self.root, self.dialect)
        return self._resources

    def resolve(self, ref: str, node: Any = None) -> tuple[Any, str | None]:
        """The raw target of a reference made in `node` (against its base URI), or
        (None, reason); reason "remote" when no resource of this document has the URI."""
        target, reason, _ = self.lookup(ref, node)
        return target, reason

    def lookup(self, ref: str, node: Any) -> tuple[Any, str | None, str]:
        base = self.resources.base(node)
        key = (base, ref)
        found = self._resolved.get(key)
        if found is None:
            found = self._resolved[key] = self.resources.lookup(ref, base)
        return found

    # -- views ----------------------------------------------------------------------

    def view(self, node: Any) -> View:
        cached = self._views.get(id(node))
        if cached is not None:
            return cached
        if node is True:
            return TRUE
        if node is False:
            return FALSE
        key = id(node)
        if not isinstance(node, dict):
            # Kept and memoised like every view: the pair memo is keyed by view ids, and
            # the id of a view dropped after use could come back as another view's. The
            # node is kept too, so that its id stays its own.
            self.keep.append(node)
            view: View = {UNKNOWN_KEY: f"a schema must be an object or a boolean, not {node!r}"}
            self._views[key] = view
            self.keep.append(view)
            return view
        if node.keys() <= self._plain:
            # Only keywords that never change their node's view (most subschemas): the
            # node is its own view, and the checks below would all come out so.
            self._views[key] = node
            return node
        if key in self._native:
            return node
        if "$ref" in node and (len(node) == 1 or self.dialect.ref_overrides):
            # The common pure pointer (and, up to draft-07, any $ref: its siblings are
            # ignored): its view is its target's view, shared.
            target, reason = self.resolve(node["$ref"], node) \
                if isinstance(node["$ref"], str) else (None, "a $ref must be a string")
            if reason is None and key not in self._building:
                self._enter(key)
                try:
                    result = self.view(target)
                finally:
                    self._building.discard(key)
                self._views[key] = result
                return result
            if self.dialect.ref_overrides:
                node = {"$ref": node["$ref"]}
        if key in self._building:
            cycle: View = {UNKNOWN_KEY: "a $ref cycle that never reaches a schema"}
            self.keep.append(cycle)  # not memoised: the node's own view is being built
            return cycle
        self._enter(key)
        try:
            branch = _only_branch(node)
            if branch is not None:
                # A one-branch combinator and nothing else: what _normalise makes of it,
                # its branch inlined into nothing, is the branch's own view.
                result = self.view(branch)
            else:
                result = self._normalise(node) if self._needs_normalising(node) else node
        finally:
            self._building.discard(key)
        self._views[key] = result
        if result is not node:
            self._native.add(id(result))
            self.keep.append(result)
        return result

    def _enter(self, key: int) -> None:
        if len(self._building) >= MAX_NESTING:
            # A chain of references can be as long as a document is wide: bounded here.
            raise RecursionError(f"views built more than {MAX_NESTING} deep (through "
                                 "references)")
        self._building.add(key)

    def _needs_normalising(self, node: dict[str, Any]) -> bool:
        return needs_normalising(node, self.dialect, node is self.root)

    def _normalise(self, node: dict[str, Any]) -> View:
        out = {k: v for k, v in node.items() if k not in self._foreign}
        if "$schema" in out and node is not self.root:
            inner = dialect_of(out)
            if inner is None or inner.name != self.dialect.name:
                return {UNKNOWN_KEY: f"a subschema switches to $schema {out['$schema']!r}"}
        problem = _legacy(out, self.dialect)
        if problem is not None:
            return {UNKNOWN_KEY: problem}
        # `not` of a schema that accepts everything fails every instance, whatever its
        # siblings say (keywords are conjunctive): the whole node accepts nothing.
        if "not" in out and self._accepts_all(out["not"]):
            return FALSE
        pieces: list[Any] = []
        for dynamic in ("$recursiveRef", "$dynamicRef"):
            if dynamic in out:
                if self.resources.embedded or not isinstance(out[dynamic], str):
                    out[UNKNOWN_KEY] = f"{dynamic} depends on the dynamic scope across " \
                                       "embedded resources; not compared"
                    del out[dynamic]
                    continue
                # One resource: the dynamic scope holds only it, so the reference lands
                # where a plain $ref would.
                target, reason = self.resolve(out.pop(dynamic), node)
                if reason is None:
                    pieces.append(target)
                else:
                    out[UNKNOWN_KEY] = reason
        ref = out.pop("$ref", None)
        if isinstance(ref, str):
            target, reason, absolute = self.lookup(ref, node)
            if reason == "remote":
                out[REMOTE_KEY] = absolute
            elif reason is not None:
                out[UNKNOWN_KEY] = reason
            else:
                pieces.append(target)
        for keyword in ("allOf", "anyOf", "oneOf"):
            branches = out.get(keyword)
            if isinstance(branches, list) and len(branches) == 1:
                del out[keyword]
                pieces.append(branches[0])
        result: View = out
        for piece in pieces:
            result = self._inline(result, piece)
            if result is FALSE:
                return FALSE
        return _drop_unreachable(result, self.dialect.level)

    def _accepts_all(self, node: Any) -> bool:
        """Whether `node` (through any $ref) accepts every instance: `not` of it is false."""
        if node is True or node == {}:
            return True
        if not isinstance(node, dict) or "$ref" not in node:
            return False
        view = self.view(node)
        return view is TRUE or (UNKNOWN_KEY not in view and REMOTE_KEY not in view
                                and not (view.keys() - PASSIVE))

    def _inline(self, out: View, piece: Any) -> View:
        """`out` with the view of `piece` conjoined, never mutating either."""
        inner = self.view(piece)
        if inner is FALSE:
            return FALSE
        if not (out.keys() - PASSIVE):
            # The node only pointed elsewhere: it *is* the target. Without annotations of
            # its own, share the target's view object so the pair memo hits for every
            # such pointer; with them, keep them (the pointer's annotations win).
            notes = out.keys() & ANNOTATION_KEYS
            return {**inner, **{k: out[k] for k in notes}} if notes else inner
        merged = _merge(out, inner)
        if merged is not None:
            return merged
        return {**out, "allOf": [*out.get("allOf", []), piece]}


class Kept:
    """The constructed nodes of a comparison: alive (their ids are memo keys) and native.
    (Not a list subclass: one is made per document, and a subclass is slow to make.)"""

    __slots__ = ("_native", "nodes")

    def __init__(self, native: set[int]) -> None:
        self.nodes: list[Any] = []
        self._native = native

    def append(self, node: Any) -> None:
        self.nodes.append(node)
        if isinstance(node, dict):
            self._native.add(id(node))


def _only_branch(node: dict[str, Any]) -> Any:
    """The branch of a node that is one combinator with one branch, else None."""
    if len(node) != 1:
        return None
    for keyword in ("allOf", "anyOf", "oneOf"):
        branches = node.get(keyword)
        if branches is not None:
            return branches[0] if isinstance(branches, list) and len(branches) == 1 else None
    return None


def _drop_unreachable(view: View, level: int) -> View:
    """unevaluated* see nothing once additionalProperties / items evaluate every key or
    item: such a keyword is inert, and dropping it keeps the rest comparable. (jsonschema's
    2019-09 validator does not count additionalProperties as evaluating: kept there.)"""
    drop = []
    if "unevaluatedProperties" in view and "additionalProperties" in view and level >= 4:
        drop.append("unevaluatedProperties")
    if "unevaluatedItems" in view and "items" in view:
        drop.append("unevaluatedItems")
    if not drop:
        return view
    return {k: v for k, v in view.items() if k not in drop}


def _merge(out: View, inner: View) -> dict[str, Any] | None:
    """`out` and `inner` as one keyword map, or None when that would change meaning."""
    if UNKNOWN_KEY in inner or REMOTE_KEY in inner:
        return None
    for group in _SCOPED:
        if out.keys() & group and inner.keys() & group:
            return None
    result = dict(out)
    for key, value in inner.items():
        if key in PASSIVE:
            result.setdefault(key, value)
        elif key not in result or _same(result[key], value):
            result[key] = value
        elif key == "required" and isinstance(value, list):
            result[key] = list(dict.fromkeys([*result[key], *value]))
        elif key in _MERGE_MAPS and isinstance(value, dict) and not (
            result[key].keys() & value.keys()
        ):
            result[key] = {**result[key], **value}
        else:
            return None
    return result


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON Schema compares values: `true` is not `1`, `1.0` is `1`."""
    return a is b or canonical(a) == canonical(b)


def _legacy(out: dict[str, Any], dialect: Dialect) -> str | None:
    """Rewrite the dialect's spellings to their 2020-12 equivalents, in place; the reason
    when a keyword's value is one the dialect's validator does not define."""
    items = out.get("items")
    if isinstance(items, list):
        if dialect.level >= 4:
            return "items is an array, which 2020-12 does not define (prefixItems?)"
        out["prefixItems"] = items
        rest = out.pop("additionalItems", None)
        if rest is None:
            del out["items"]
        else:
            out["items"] = rest
    else:
        out.pop("additionalItems", None)  # ignored unless items is an array
    deps = out.pop("dependencies", None)
    if isinstance(deps, dict):
        required = dict(out.get("dependentRequired", {}))
        schemas = dict(out.get("dependentSchemas", {}))
        for name, dep in deps.items():
            (required if isinstance(dep, list) else schemas)[name] = dep
        if required:
            out["dependentRequired"] = required
        if schemas:
            out["dependentSchemas"] = schemas
    for exclusive, inclusive in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        flag = out.get(exclusive)
        if (dialect.level == 0) != isinstance(flag, bool) and exclusive in out:
            return f"{exclusive} {flag!r} is not what {dialect.name} defines"
        if isinstance(flag, bool):
            del out[exclusive]
            if flag and inclusive in out:
                out[exclusive] = out.pop(inclusive)
    return None


def needs_normalising(node: dict[str, Any], dialect: Dialect, root: bool) -> bool:
    """Whether the view of `node` (not a pure `$ref`) differs from `node` itself."""
    foreign = FOREIGN.get(dialect.name)
    if not (_foreign(dialect) if foreign is None else foreign).isdisjoint(node):
        return True
    if "$schema" in node and not root:
        return True
    if dialect.level == 0 and ("exclusiveMinimum" in node or "exclusiveMaximum" in node):
        return True
    return _needs_normalising(node)


def _needs_normalising(node: dict[str, Any]) -> bool:
    for key in node.keys() & _TRANSFORM_KEYS:
        value = node[key]
        if key in ("allOf", "anyOf", "oneOf"):
            if isinstance(value, list) and len(value) == 1:
                return True
        elif key == "items":
            if isinstance(value, list):
                return True
        elif key in ("exclusiveMinimum", "exclusiveMaximum"):
            if isinstance(value, bool):
                return True
        elif key == "unevaluatedProperties":
            if "additionalProperties" in node:
                return True
        elif key == "unevaluatedItems":
            if "items" in node:
                return True
        elif key == "not":
            if value == {} or value is True or (isinstance(value, dict) and "$ref" in value):
                return True
        else:
            return True
    return False
