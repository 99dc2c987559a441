"""Base URIs, embedded resources and anchors of one schema document, per dialect.

The walk follows referencing's own description of each draft (which keywords hold
subschemas, what `$id`/`id` means, which anchors exist): the same library the validator
resolves references with, so a reference resolves here to what the validator reaches.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote, urldefrag, urljoin

import orjson
from referencing import jsonschema as specs

from senate.compat.dialect import Dialect

# A base for documents without `$id`: relative references then resolve to URIs that no
# resource has, so they are remote, as they are for the validator.
ROOT_URI = "https://senate.invalid/schema.json"
_SPECS = {"draft-04": specs.DRAFT4, "draft-06": specs.DRAFT6, "draft-07": specs.DRAFT7,
          "2019-09": specs.DRAFT201909, "2020-12": specs.DRAFT202012}


def _id_of(spec: Any, node: Any) -> Any:
    """The `$id` (or `id`) of `node`, whatever its type. (Through Any: referencing declares
    str | None, which compiled code would check on return, so a malformed `$id` such as a
    number would raise instead of reaching the callers' isinstance guards.)"""
    return spec.id_of(node)


class Resources:
    """Where every subschema of a document sits: its base URI, resources and anchors."""

    def __init__(self, root: Any, dialect: Dialect) -> None:
        self.spec = _SPECS[dialect.name]
        self.base_of: dict[int, str] = {}
        self.resources: dict[str, Any] = {}
        self.anchors: dict[tuple[str, str], Any] = {}
        self.root_uri = ROOT_URI
        if isinstance(root, dict):
            found = _id_of(self.spec, root)
            if isinstance(found, str):
                self.root_uri = urldefrag(urljoin(ROOT_URI, found))[0]
        self.resources[self.root_uri] = root
        self._markers = _has_markers(root)
        if self._markers:
            self._walk(root, self.root_uri, own_id=False)
        # else: no subschema has an id or an anchor, so every base is the root's and the
        # walk would find nothing (it is the slow part of a large comparison).

    @property
    def embedded(self) -> bool:
        """Whether any subschema starts a resource of its own (a dynamic scope to track)."""
        return len(self.resources) > 1

    def _walk(self, node: Any, base: str, own_id: bool = True) -> None:
        stack = [(node, base, own_id)]
        while stack:
            node, base, own_id = stack.pop()
            if not isinstance(node, dict):
                continue
            if own_id:
                found = _id_of(self.spec, node)
                if isinstance(found, str):
                    base = urldefrag(urljoin(base, found))[0]
                    self.resources.setdefault(base, node)
            self.base_of[id(node)] = base
            for anchor in self.spec.anchors_in(node):
                self.anchors.setdefault((base, anchor.name), node)
            stack.extend((sub, base, True) for sub in self.spec.subresources_of(node))

    def base(self, node: Any) -> str:
        return self.base_of.get(id(node), self.root_uri)

    def lookup(self, ref: str, base: str) -> tuple[Any, str | None, str]:
        """(target, problem, absolute URI): problem "remote" when no resource has the URI."""
        # As referencing does: a fragment-only reference stays in the current resource
        # (urljoin would drop a base such as urn:...).
        if ref.startswith("#"):
            uri, fragment = base, ref[1:]
            absolute = base + ref
        else:
            absolute = urljoin(base, ref)
            uri, fragment = urldefrag(absolute)
        resource = self.resources.get(uri)
        if resource is None:
            return None, "remote", absolute
        if "%" in fragment and fragment.startswith("/"):
            fragment = unquote(fragment)  # (nothing to unquote without a %)
        if fragment and not fragment.startswith("/"):
            target = self.anchors.get((uri, fragment))
            if target is None:
                return None, f"$ref {ref!r} names no anchor", absolute
            return target, None, absolute
        node: Any = resource
        node_base = uri
        for token in fragment.split("/")[1:] if fragment else []:
            if "~" in token:
                token = token.replace("~1", "/").replace("~0", "~")
            if isinstance(node, dict) and token in node:
                node = node[token]
            elif isinstance(node, list) and token.isdigit() and int(token) < len(node):
                node = node[int(token)]
            else:
                return None, f"$ref {ref!r} does not resolve", absolute
            if id(node) in self.base_of:
                node_base = self.base_of[id(node)]
        if self._markers and isinstance(node, dict) and id(node) not in self.base_of:
            # A target outside the keywords that hold subschemas: the validator resolves
            # what is inside it against the base reached so far (its own id not applied).
            # (Without markers every base is the root's, which base() answers anyway.)
            self._walk(node, node_base, own_id=False)
        return node, None, absolute


_MARKERS = frozenset({"$id", "id", "$anchor", "$dynamicAnchor"})


def _has_markers(root: Any) -> bool:
    """Whether any object below the root holds a string under an id or anchor key (a
    cheap over-approximation of "has an embedded resource or an anchor"), or the root
    has an anchor (in draft-04 to 07, an id that is a fragment)."""
    try:
        text: bytes | None = orjson.dumps(root)
    except TypeError:  # not plain JSON data (orjson's error is a TypeError): walk it
        text = None
    if text is not None and b'id"' not in text and b'nchor"' not in text:
        # No such key anywhere in the document's JSON text, where a key is written as
        # its name in quotes ($id and id end in `id"`, $anchor and $dynamicAnchor in
        # `nchor"`; none of these names has a character JSON escapes).
        return False
    return walk_markers(root)


def walk_markers(root: Any) -> bool:
    """_has_markers by a walk of every object and array."""
    if type(root) is dict:
        if "$anchor" in root or "$dynamicAnchor" in root:
            return True
        for key in ("$id", "id"):
            value = root.get(key)
            if value is not None and str(value).startswith("#"):
                return True
        stack = [v for v in root.values() if type(v) is dict or type(v) is list]
    elif type(root) is list:
        stack = [v for v in root if type(v) is dict or type(v) is list]
    else:
        return False
    while stack:
        node = stack.pop()
        values: Iterable[Any]
        if type(node) is dict:
            if not _MARKERS.isdisjoint(node):
                for key in _MARKERS:
                    if type(node.get(key)) is str:
                        return True
            values = node.values()
        else:
            values = node
        for value in values:
            if type(value) is dict or type(value) is list:
                stack.append(value)
    return False
