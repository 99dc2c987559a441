"""Benchmark: `migrate apply --dry-run` and `migrate down` against `migrate apply` itself.

Run: python tests/bench/bench_rehearse.py [N]. The setting of bench_migrate.py (one merged
add_field with a default backfilled into N experiment artifacts). Per run, on a fresh copy
of the baseline database: the dry run (which also snapshots and compares every artifact),
then the real apply (the reference), then `down` back to the baseline. Medians of RUNS
runs, and the ratios dry-run/apply and down/apply. SQLite, then PostgreSQL if reachable.
"""

from __future__ import annotations

import shutil
import sqlite3
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parent.parent / "tools"), str(HERE.parent), str(HERE)]

from bench_migrate import (  # noqa: E402
    BASELINE_REV,
    cli,
    governed_repo,
    pg_seeded,
    pg_url,
    rows,
    timed,
)
from migkit import PG_ADMIN, merge, pg_reachable, sqlite_url  # noqa: E402

RUNS = 3


def one_engine(label: str, urls: list[str], g_path: Path) -> None:
    dry, app, down = [], [], []
    for url in urls:
        dry.append(timed(lambda u=url: cli("--repo", g_path, "migrate", "apply", "--db", u,
                                           "--dry-run")))
        app.append(timed(lambda u=url: cli("--repo", g_path, "migrate", "apply", "--db", u)))
        down.append(timed(lambda u=url: cli("--repo", g_path, "migrate", "down", "--db", u)))
    d, a, w = (statistics.median(x) for x in (dry, app, down))
    print(f"{label}: apply {a:.3f} s, dry run {d:.3f} s, down {w:.3f} s (medians of "
          f"{len(urls)}); ratios dry-run/apply {d / a:.2f}, down/apply {w / a:.2f}")


def bench_sqlite(g_path: Path, tmp: Path, n: int) -> None:
    base = tmp / "base.db"
    cli("--repo", g_path, "migrate", "apply", "--db", sqlite_url(base), "--rev", BASELINE_REV)
    conn = sqlite3.connect(base)
    conn.executemany("INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)",
                     rows(n))
    conn.commit()
    conn.close()
    copies = []
    for i in range(RUNS):
        shutil.copy(base, tmp / f"run{i}.db")
        copies.append(sqlite_url(tmp / f"run{i}.db"))
    one_engine(f"SQLite {sqlite3.sqlite_version}, {n} artifacts", copies, g_path)


def bench_postgres(g_path: Path, n: int) -> None:
    if not pg_reachable():
        print(f"PostgreSQL: skipped, no server at {PG_ADMIN}")
        return
    with pg_seeded(g_path, n, "senate_rehearse") as (admin, name, created):
        for i in range(RUNS):
            admin.execute(f"CREATE DATABASE {name}_{i} TEMPLATE {name}".encode())
            created.append(f"{name}_{i}")
        one_engine(f"PostgreSQL, {n} artifacts", [pg_url(f"{name}_{i}") for i in range(RUNS)],
                   g_path)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="senate-bench-") as tmp_name:
        tmp = Path(tmp_name)
        g, pid = governed_repo(tmp)
        merge(g, pid)
        cli("--repo", g.path, "migrate", "generate")
        bench_sqlite(g.path, tmp, n)
        bench_postgres(g.path, n)


if __name__ == "__main__":
    main()
