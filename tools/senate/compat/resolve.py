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

View = Mapping[str, Any]

TRUE: View = {}
FALSE: View = {"not": {}}
# A view carrying this key could not be built; the engine reports it as unknown.
UNKNOWN_KEY = "$senate-unknown"
# A reference to another document: equal on both sides means unchanged, else unknown.
REMOTE_KEY = "$senate-remote"

REF_KEYS = frozenset({"$ref", "$dynamicRef", "$recursiveRef"})
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
        self._clean: set[int] | None = None
        self._anchors: dict[str, Any] | None = None
        root_id = root.get("$id") if isinstance(root, Mapping) else None
        self._base = root_id.split("#", 1)[0] if isinstance(root_id, str) else ""
        self.keep: list[Any] = []  # constructed nodes whose ids are memo keys

    # -- reference scanning ---------------------------------------------------------

    def has_ref(self, node: Any) -> bool:
        """Whether equal raw text may still mean different things (a reference inside).

        Nodes this document did not scan (constructed views) count as having one.
        """
        if not isinstance(node, (Mapping, list)):
            return False
        if self._clean is None:
            self._clean = set()
            _scan(self.root, self._clean)
        return id(node) not in self._clean

    def resolve(self, ref: str) -> tuple[Any, str | None]:
        """The raw target of a reference, or (None, reason) when it is not local."""
        if self._base and ref.startswith(self._base):
            ref = ref[len(self._base):]
        if not ref.startswith("#") and ref != "":
            return None, "remote"
        fragment = unquote(ref[1:])
        if fragment == "" or fragment.startswith("/"):
            node: Any = self.root
            for token in fragment.split("/")[1:] if fragment else []:
                token = token.replace("~1", "/").replace("~0", "~")
                if isinstance(node, Mapping) and token in node:
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
            _index_anchors(self.root, self._anchors)
        return self._anchors

    # -- views ----------------------------------------------------------------------

    def view(self, node: Any) -> View:
        if node is True:
            return TRUE
        if node is False:
            return FALSE
        if not isinstance(node, Mapping):
            return {UNKNOWN_KEY: f"a schema must be an object or a boolean, not {node!r}"}
        key = id(node)
        cached = self._views.get(key)
        if cached is not None:
            return cached
        if key in self._building:
            return {UNKNOWN_KEY: "a $ref cycle that never reaches a schema"}
        self._building.add(key)
        try:
            result = self._normalise(node) if node.keys() & _TRANSFORM_KEYS else node
        finally:
            self._building.discard(key)
        self._views[key] = result
        return result

    def _normalise(self, node: Mapping[str, Any]) -> View:
        out = dict(node)
        _legacy(out)
        if out.get("not") in ({}, True) and not (out.keys() - PASSIVE - {"not"}):
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
        for piece in pieces:
            out = self._inline(out, piece)
            if out is FALSE:
                return FALSE
        return out

    def _inline(self, out: dict[str, Any], piece: Any) -> dict[str, Any]:
        inner = self.view(piece)
        if inner is FALSE:
            return FALSE  # type: ignore[return-value]
        if not (out.keys() - PASSIVE):
            return dict(inner)  # the node only pointed elsewhere: it *is* the target
        merged = _merge(out, inner)
        if merged is not None:
            return merged
        out.setdefault("allOf", [])
        out["allOf"] = [*out["allOf"], piece]
        return out


def _merge(out: dict[str, Any], inner: View) -> dict[str, Any] | None:
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
        elif key in _MERGE_MAPS and isinstance(value, Mapping) and not (
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
    if isinstance(deps, Mapping):
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


def _scan(node: Any, clean: set[int], data: bool = False) -> bool:
    """Record the ids of containers whose raw equality implies equal meaning.

    Python's `==` fails that in two ways: a reference below may point at different
    targets on each side, and in data positions (enum, const, ...) `True == 1` and
    `False == 0` although JSON Schema tells them apart. Returns True if node is unclean.
    """
    found = False
    if isinstance(node, Mapping):
        found = not REF_KEYS.isdisjoint(node.keys())
        items: Any = node.items()
    elif isinstance(node, list):
        items = ((None, value) for value in node)
    else:
        return False
    for key, value in items:
        inner = data or key in _DATA_KEYS
        if isinstance(value, (Mapping, list)):
            found = _scan(value, clean, inner) or found
        elif inner and isinstance(value, (bool, int, float)) and value in (0, 1):
            found = True
    if not found:
        clean.add(id(node))
    return found


_DATA_KEYS = frozenset({"enum", "const", "default", "examples"})


def _index_anchors(node: Any, anchors: dict[str, Any]) -> None:
    if isinstance(node, Mapping):
        anchor = node.get("$anchor")
        if isinstance(anchor, str):
            anchors.setdefault(anchor, node)
        legacy = node.get("$id", node.get("id"))
        if isinstance(legacy, str) and legacy.startswith("#"):
            anchors.setdefault(legacy[1:], node)
        for value in node.values():
            _index_anchors(value, anchors)
    elif isinstance(node, list):
        for value in node:
            _index_anchors(value, anchors)
