"""The fuzzing loop: pairs, verdicts, the counterexample search, counts and regressions.

`python -m fuzz [seconds] [--seed N] [--policy lenient|strict|both]` (what `./run fuzz`
calls) runs until the budget is spent and writes every unsafe verdict as a JSON case
under tests/fuzz/regressions/ (replayed by tests/test_compat_fuzz.py).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fuzz.docs import DocGen
from fuzz.gen import pair
from fuzz.oracle import Judge
from senate.compat import compare

REGRESSIONS = Path(__file__).parent / "regressions"
DIRECTIONS = ("backward", "forward")


@dataclass
class Stats:
    pairs: int = 0
    verdicts: Counter[str] = field(default_factory=Counter)
    unsafe: list[dict[str, Any]] = field(default_factory=list)
    # Conservative answers by what made them: the kind of the first change that breaks
    # the direction (for unknown, the start of its explanation).
    conservative_by: Counter[str] = field(default_factory=Counter)

    def classes(self, top: int = 10) -> str:
        total = max(1, sum(self.conservative_by.values()))
        return "\n".join(f"  {n:7d} {n / total:6.1%}  {what}"
                         for what, n in self.conservative_by.most_common(top))

    def line(self) -> str:
        v = self.verdicts
        judged = v["compatible"] + v["conservative"] + v["breaking_confirmed"]
        rate = v["conservative"] / max(1, v["conservative"] + v["compatible"])
        return (f"pairs {self.pairs}, directions judged {judged}: compatible {v['compatible']}, "
                f"breaking with counterexample {v['breaking_confirmed']}, conservative "
                f"{v['conservative']} ({rate:.1%} of the directions with no counterexample), "
                f"lenient assumption used {v['lenient_assumed']}, unsafe {len(self.unsafe)} "
                f"(pairs the validator could not evaluate, skipped: {v['unjudgeable']})")


def _key_of(path: str) -> str:
    """The property name a change's JSON pointer ends in."""
    return path.rsplit("/", 1)[-1].replace("~1", "/").replace("~0", "~")


def _uses_assumed_key(document: Any, keys: set[str]) -> bool:
    if isinstance(document, dict):
        return bool(keys & document.keys()) or any(_uses_assumed_key(v, keys)
                                                   for v in document.values())
    if isinstance(document, list):
        return any(_uses_assumed_key(v, keys) for v in document)
    return False


def search(rng: random.Random, judges: tuple[Judge, Judge], schemas: list[Any],
           rounds: int = 120) -> dict[str, Any]:
    """Counterexamples per direction: backward = valid old, invalid new; forward mirrored."""
    gen = DocGen(rng, schemas)
    found: dict[str, Any] = {}
    pools: tuple[list[Any], list[Any]] = ([], [])

    def judge(doc: Any) -> None:
        a, b = judges[0].valid(doc), judges[1].valid(doc)
        if a is None or b is None:
            return
        if a:
            pools[0].append(doc)
        if b:
            pools[1].append(doc)
        if a and not b:
            found.setdefault("backward", doc)
        if b and not a:
            found.setdefault("forward", doc)

    for _ in range(rounds):
        judge(gen.value())
    for _ in range(rounds * 2):
        if len(found) == 2:
            break
        side = rng.randrange(2)
        pool = pools[side] or pools[1 - side]
        judge(gen.mutate(rng.choice(pool)) if pool else gen.value())
    return found


def run_pair(rng: random.Random, old: Any, new: Any, policies: tuple[str, ...],
             stats: Stats) -> None:
    try:
        judges = (Judge(old), Judge(new))
    except Exception:
        return  # not a valid schema in its dialect: not a pair the engine is asked about
    found = search(rng, judges, [old, new])
    if judges[0].failures or judges[1].failures:
        stats.verdicts["unjudgeable"] += 1  # the validator itself cannot evaluate them
        return
    stats.pairs += 1
    for policy in policies:
        report = compare(old, new, policy=policy)  # type: ignore[arg-type]
        assumed = {_key_of(c.path) for c in report.changes if getattr(c, "assumed", "")}
        for direction in DIRECTIONS:
            verdict = getattr(report, f"{direction}_compatible")
            cex = found.get(direction)
            if verdict is True and cex is not None:
                if policy == "lenient" and direction == "backward" and assumed and \
                        _uses_assumed_key(cex, assumed):
                    stats.verdicts["lenient_assumed"] += 1
                    continue
                stats.unsafe.append({"old": old, "new": new, "policy": policy,
                                     "direction": direction, "document": cex})
            elif verdict is True:
                stats.verdicts["compatible"] += 1
            elif cex is not None:
                stats.verdicts["breaking_confirmed"] += 1
            else:
                stats.verdicts["conservative"] += 1
                stats.conservative_by[_blocking(report, direction)] += 1


def _blocking(report: Any, direction: str) -> str:
    for c in report.changes:
        if c.kind == "unknown":
            return "unknown: " + " ".join(c.explanation.split()[:4])
        if c.breaks in (direction, "both"):
            return c.kind
    return "?"


def fuzz(seed: int, seconds: float, policies: tuple[str, ...] = ("strict", "lenient"),
         max_pairs: int | None = None) -> Stats:
    rng = random.Random(seed)
    stats = Stats()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (max_pairs is None or stats.pairs < max_pairs):
        old, new = pair(rng)
        run_pair(rng, old, new, policies, stats)
    return stats


def write_regressions(stats: Stats, folder: Path = REGRESSIONS) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for case in stats.unsafe:
        text = json.dumps(case, sort_keys=True, indent=1)
        path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:16]}.json"
        path.write_text(text + "\n")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="./run fuzz")
    parser.add_argument("seconds", nargs="?", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--policy", choices=["lenient", "strict", "both"], default="both")
    parser.add_argument("--no-write", action="store_true", help="do not write regressions")
    args = parser.parse_args(argv)
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    policies = ("strict", "lenient") if args.policy == "both" else (args.policy,)
    start = time.monotonic()
    stats = fuzz(seed, args.seconds, policies)
    elapsed = time.monotonic() - start
    import senate.compat

    engine = "compiled" if senate.compat.NATIVE else "pure Python"
    print(f"seed {seed}, {elapsed:.0f} s, policies {'+'.join(policies)}, engine {engine}")
    print(stats.line())
    print(f"per hour: {stats.pairs * 3600 / elapsed:.0f} pairs, "
          f"{len(stats.unsafe) * 3600 / elapsed:.1f} unsafe verdicts")
    print("largest classes of conservative answers (first change breaking the direction):")
    print(stats.classes())
    if stats.unsafe and not args.no_write:
        for path in write_regressions(stats):
            print(f"counterexample written: {path}")
    return 1 if stats.unsafe else 0


if __name__ == "__main__":
    sys.exit(main())
