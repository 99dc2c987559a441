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
from urllib.parse import unquote

from senate.compat.scan import index_anchors, scan

View = Mapping[str, Any]

TRUE: View = {}
FALSE: View = {"not": {}}
# A view carrying this key could not be built; the engine reports it as unknown.
UNKNOWN_KEY = "$senate-unknown"
# A reference to another document: equal on both sides means unchanged, else unknown.
REMOTE_KEY = "$senate-remote"

_TRANSFORM_KEYS = frozenset(
    {"$ref", "allOf", "anyOf", "oneOf", "items", "additionalItems", "dependencies",
     "exclusiveMinimum", "exclusiveMaximum", "not"}
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


class Document:
    """A schema document with memoised views and reference scanning."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self._views: dict[int, View] = {}
        self._building: set[int] = set()
        self._dirty: dict[int, int] = {}
        self._resolved: dict[str, tuple[Any, str | None]] = {}
        self._anchors: dict[str, Any] | None = None
        root_id = root.get("$id") if isinstance(root, dict) else None
        self._base = root_id.split("#", 1)[0] if isinstance(root_id, str) else ""
        self.keep: list[Any] = []  # constructed nodes whose ids are memo keys

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

    def resolve(self, ref: str) -> tuple[Any, str | None]:
        """The raw target of a reference, or (None, reason) when it is not local."""
        found = self._resolved.get(ref)
        if found is None:
            found = self._resolved[ref] = self._resolve(ref)
        return found

    def _resolve(self, ref: str) -> tuple[Any, str | None]:
        if self._base and ref.startswith(self._base):
            ref = ref[len(self._base):]
        if not ref.startswith("#") and ref != "":
            return None, "remote"
        fragment = unquote(ref[1:])
        if fragment == "" or fragment.startswith("/"):
            node: Any = self.root
            for token in fragment.split("/")[1:] if fragment else []:
                token = token.replace("~1", "/").replace("~0", "~")
                if isinstance(node, dict) and token in node:
                    node = node[token]
                elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                    node = node[int(token)]
                else:
                    return None, f"$ref {ref!r} does not resolve"
            return node, None
        target = self._anchor_index().get(fragment)
        if target is None:
            return None, f"$ref {ref!r} names no anchor"
        return target, None

    def _anchor_index(self) -> dict[str, Any]:
        if self._anchors is None:
            self._anchors = {}
            index_anchors(self.root, self._anchors)
        return self._anchors

    # -- views ----------------------------------------------------------------------

    def view(self, node: Any) -> View:
        cached = self._views.get(id(node))
        if cached is not None:
            return cached
        if node is True:
            return TRUE
        if node is False:
            return FALSE
        if not isinstance(node, dict):
            return {UNKNOWN_KEY: f"a schema must be an object or a boolean, not {node!r}"}
        key = id(node)
        if len(node) == 1 and "$ref" in node:
            # The common pure pointer: its view is its target's view, shared.
            target, reason = self.resolve(node["$ref"]) if isinstance(node["$ref"], str) else (
                None, "a $ref must be a string")
            if reason is None and key not in self._building:
                self._building.add(key)
                try:
                    result = self.view(target)
                finally:
                    self._building.discard(key)
                self._views[key] = result
                return result
        if key in self._building:
            return {UNKNOWN_KEY: "a $ref cycle that never reaches a schema"}
        self._building.add(key)
        try:
            result = self._normalise(node) if _needs_normalising(node) else node
        finally:
            self._building.discard(key)
        self._views[key] = result
        return result

    def _normalise(self, node: dict[str, Any]) -> View:
        out = dict(node)
        _legacy(out)
        # `not` of a schema that accepts everything fails every instance, whatever its
        # siblings say (keywords are conjunctive): the whole node accepts nothing.
        if "not" in out and self._accepts_all(out["not"]):
            return FALSE
        pieces: list[Any] = []
        ref = out.pop("$ref", None)
        if isinstance(ref, str):
            target, reason = self.resolve(ref)
            if reason == "remote":
                out[REMOTE_KEY] = ref
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
        return result

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
        elif key not in result or result[key] == value:
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


def _legacy(out: dict[str, Any]) -> None:
    """Rewrite draft-04/06/07 spellings to their 2020-12 equivalents, in place."""
    items = out.get("items")
    if isinstance(items, list):
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
        if isinstance(flag, bool):
            del out[exclusive]
            if flag and inclusive in out:
                out[exclusive] = out.pop(inclusive)


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
        elif key == "not":
            if value == {} or value is True or (isinstance(value, dict) and "$ref" in value):
                return True
        else:
            return True
    return False
