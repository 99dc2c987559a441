"""Documents that may tell two schemas apart: values harvested from both schemas (every
constant, bound, key and pattern, and their neighbours), random small JSON, and
mutations of documents already known valid under one side (the search climbs from
valid documents towards the boundary, where counterexamples live)."""

from __future__ import annotations

import copy
import random
import re._constants as _c  # type: ignore[import-not-found, unused-ignore]
import re._parser as _parser  # type: ignore[import-not-found, unused-ignore]
from typing import Any

BASE: list[Any] = [None, True, False, 0, 1, -1, 2, 3, 0.5, 2.5, 1.5, 0.1, 0.3, 0.2, "", "a",
                   "b", "ab", "ba", "abc", "x@y.z", "2020-01-01", "1.2.3.4", "http://e.x/",
                   [], {}, 1e300, -1e300, 9007199254740993, 9007199254740992.0, 1.0]


# Characters where Python's classes differ from ASCII ones: an Arabic-Indic digit, a
# letter with an accent, a Unicode space, and the newline that `.` skips.
_ODD = ["\u0663", "\u00e9", "\u2003", "\n"]


def samples_of(pattern: str, count: int = 6) -> list[str]:
    """Strings built from the pattern's own parse (random choices at each alternative,
    class and repetition), so that the search reaches the boundaries of its language."""
    try:
        parsed = _parser.parse(pattern)
    except Exception:  # an invalid pattern: nothing to build from
        return []
    rng = random.Random(pattern)
    return [_build(rng, list(parsed)) for _ in range(count)]


def _build(rng: random.Random, items: list[Any], depth: int = 0) -> str:
    out = []
    for op, av in items:
        if op is _c.LITERAL:
            out.append(chr(av))
        elif op is _c.IN:
            choices = [chr(v) for k, v in av if k is _c.LITERAL]
            choices += [chr(rng.randint(v[0], v[1])) for k, v in av if k is _c.RANGE]
            out.append(rng.choice(choices + _ODD + ["0", "a"]))
        elif op in (_c.ANY, _c.NOT_LITERAL):
            out.append(rng.choice(["a", "b", "0", *_ODD]))
        elif op is _c.BRANCH:
            out.append(_build(rng, list(rng.choice(av[1])), depth + 1))
        elif op is _c.SUBPATTERN:
            out.append(_build(rng, list(av[3]), depth + 1))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT) and depth < 4:
            high = min(av[1], av[0] + 3)
            times = rng.choice([av[0], high, rng.randint(av[0], high), high + 1])
            out.extend(_build(rng, list(av[2]), depth + 1) for _ in range(times))
    return "".join(out)


def harvest(schema: Any, out: dict[str, list[Any]]) -> None:
    """Collect constants (values), numbers, strings and property names from `schema`."""
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key in ("enum",) and isinstance(value, list):
                out["values"].extend(value)
            elif key == "const":
                out["values"].append(value)
            elif key in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
                         "multipleOf") and isinstance(value, int | float) \
                    and not isinstance(value, bool):
                out["numbers"] += [value, value + 1, value - 1, value * 2, value * 3,
                                   value / 2, value * 7, float(value), -value]
                if isinstance(value, float) and value.is_integer() and abs(value) < 1e18:
                    out["numbers"].append(int(value))
            elif key in ("properties", "patternProperties", "dependentRequired",
                         "dependentSchemas", "dependencies") and isinstance(value, dict):
                out["keys"].extend(value)
                if key == "patternProperties":
                    out["keys"] += [p.strip("^$") + s for p in value for s in ("", "x")]
                    out["keys"] += ["x" + p.strip("^$") for p in value]
            elif key == "required" and isinstance(value, list):
                out["keys"].extend(v for v in value if isinstance(v, str))
            elif key == "pattern" and isinstance(value, str):
                out["strings"] += [value.strip("^$"), value.strip("^$") + "x",
                                   "x" + value.strip("^$")]
                out["strings"] += [t for s in samples_of(value) for t in (s, s + "\n")]
            harvest(value, out)
    elif isinstance(schema, list):
        for value in schema:
            harvest(value, out)


class DocGen:
    def __init__(self, rng: random.Random, schemas: list[Any]) -> None:
        self.rng = rng
        pool: dict[str, list[Any]] = {"values": [], "numbers": [], "strings": [], "keys": []}
        for schema in schemas:
            harvest(schema, pool)
        self.keys = sorted({k for k in pool["keys"] if isinstance(k, str)} | {"a", "b", "ab", "c"})
        self.atoms = BASE + pool["values"] + pool["numbers"] + pool["strings"] + self.keys

    def atom(self) -> Any:
        return copy.deepcopy(self.rng.choice(self.atoms))

    def value(self, depth: int = 0) -> Any:
        r = self.rng
        roll = r.random()
        if depth >= 3 or roll < 0.45:
            return self.atom()
        if roll < 0.7:
            return [self.value(depth + 1) for _ in range(r.randint(0, 4))]
        return {r.choice(self.keys): self.value(depth + 1) for _ in range(r.randint(0, 4))}

    def mutate(self, doc: Any) -> Any:
        """One small edit somewhere in `doc`."""
        r = self.rng
        if isinstance(doc, dict) and doc and r.random() < 0.6:
            out = dict(doc)
            key = r.choice(list(out))
            op = r.randrange(4)
            if op == 0:
                del out[key]
            elif op == 1:
                out[key] = self.mutate(out[key])
            elif op == 2:
                out[r.choice(self.keys)] = self.value(2)
            else:
                out[key] = self.atom()
            return out
        if isinstance(doc, list) and doc and r.random() < 0.6:
            out_list = list(doc)
            op = r.randrange(4)
            i = r.randrange(len(out_list))
            if op == 0:
                del out_list[i]
            elif op == 1:
                out_list[i] = self.mutate(out_list[i])
            elif op == 2:
                out_list.insert(i, self.value(2))
            else:
                out_list.append(copy.deepcopy(out_list[i]))
            return out_list
        if isinstance(doc, dict):
            return {**doc, r.choice(self.keys): self.value(2)}
        if isinstance(doc, list):
            return [*doc, self.value(2)]
        return self.value(1)
