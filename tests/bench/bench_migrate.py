"""Benchmark: `senate migrate apply` backfilling 100,000 artifacts, SQLite and PostgreSQL.

Run: python tests/bench/bench_migrate.py [N]. For each engine: a governed repo with one
merged add_field proposal (required, default 0.8), a database at the baseline holding N
experiment artifacts, then the timed `senate migrate apply`. The reference is a plain bulk
UPDATE doing the same backfill on an identical copy, committed. Each runs RUNS times on
fresh copies of one database; medians are printed, and the ratio apply/reference.
"""

from __future__ import annotations

import contextlib
import io
import json
import secrets
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "tests")]

from conftest import Governed, make_key  # noqa: E402
from migkit import PG_ADMIN, merge, pg_reachable, sqlite_url  # noqa: E402

from senate.cli.main import run  # noqa: E402

RUNS = 3
BASELINE_REV = "main~2"  # main: generate <- merge <- generate (the baseline alone) <- init
DOC = json.loads((ROOT / "tools/senate/data/samples/experiment/minimal.json").read_text())
SQLITE_REFERENCE = ("UPDATE artifacts SET metadata = json_set(metadata, '$.power', 0.8) "
                    "WHERE artifact_type = 'experiment' AND json_type(metadata, '$.power') IS NULL")
PG_REFERENCE = ("UPDATE artifacts SET metadata = jsonb_set(metadata, '{power}', '0.8', true) "
                "WHERE artifact_type = 'experiment' AND NOT (metadata ? 'power')")


def cli(*args: str | Path) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        code = run([str(a) for a in args])
    assert code == 0, f"senate {' '.join(map(str, args))} exited {code}"


def governed_repo(tmp: Path) -> tuple[Governed, str]:
    keys = {n: make_key(tmp / "keys", n) for n in ("alice", "bob", "carol")}
    g = Governed(tmp / "repo", keys)
    cli("init", g.path, *[a for n in keys for a in ("--agent", f"{n}={keys[n].public}")])
    cli("--repo", g.path, "migrate", "generate")  # the baseline alone, first
    cli("--repo", g.path, "propose", "--type", "experiment", "--change", "add_field",
        "--field", "power", "--spec",
        '{"type": "number", "minimum": 0, "maximum": 1, "default": 0.8}', "--required",
        "--rationale", "Power per study. Use case: meta-analysis weighting.",
        "--key", keys["alice"].private)
    return g, "0001-experiment-power"


def rows(n: int) -> list[tuple[str, str, str]]:
    text = json.dumps(DOC)
    return [(f"exp-{i:06d}", "experiment", text) for i in range(n)]


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def report(ref: list[float], app: list[float]) -> None:
    """Medians of RUNS runs, each on its own fresh copy of the same database."""
    r, a = statistics.median(ref), statistics.median(app)
    print(f"  reference: plain bulk UPDATE, committed   median {r:6.3f} s  "
          f"(runs {', '.join(f'{x:.3f}' for x in ref)})")
    print(f"  senate migrate apply                      median {a:6.3f} s  "
          f"(runs {', '.join(f'{x:.3f}' for x in app)})")
    print(f"  ratio apply/reference: {a / r:.2f}")


def bench_sqlite(g: Governed, tmp: Path, n: int) -> None:
    print(f"SQLite {sqlite3.sqlite_version}, {n} artifacts, {RUNS} runs")
    base = tmp / "base.db"
    cli("--repo", g.path, "migrate", "apply", "--db", sqlite_url(base), "--rev", BASELINE_REV)
    conn = sqlite3.connect(base)
    conn.executemany("INSERT INTO artifacts (id, artifact_type, metadata) VALUES (?, ?, ?)",
                     rows(n))
    conn.commit()
    conn.close()
    ref_times: list[float] = []
    app_times: list[float] = []
    for i in range(RUNS):
        ref, db = tmp / f"ref{i}.db", tmp / f"app{i}.db"
        shutil.copy(base, ref)
        shutil.copy(base, db)

        def reference(path: Path = ref) -> None:
            c = sqlite3.connect(path)
            c.execute(SQLITE_REFERENCE)
            c.commit()
            c.close()

        ref_times.append(timed(reference))
        app_times.append(timed(lambda path=db: cli(
            "--repo", g.path, "migrate", "apply", "--db", sqlite_url(path))))
        _check_sqlite(db, n)
    report(ref_times, app_times)


def _check_sqlite(db: Path, n: int) -> None:
    c = sqlite3.connect(db)
    (count,) = c.execute("SELECT count(*) FROM artifacts WHERE "
                         "json_extract(metadata, '$.power') = 0.8").fetchone()
    c.close()
    assert count == n, count


def pg_url(db: str) -> str:
    return f"postgresql://postgres@127.0.0.1:5432/{db}"


@contextlib.contextmanager
def pg_seeded(g_path: Path, n: int, prefix: str) -> Iterator[tuple[Any, str, list[str]]]:
    """A PostgreSQL database at the baseline holding N artifacts; yields (admin connection,
    its name, the list of databases to drop afterwards, to which copies are added)."""
    import psycopg

    name = f"{prefix}_{secrets.token_hex(4)}"
    created: list[str] = []
    admin = psycopg.connect(PG_ADMIN, autocommit=True)
    try:
        admin.execute(f"CREATE DATABASE {name}".encode())
        created.append(name)
        cli("--repo", g_path, "migrate", "apply", "--db", pg_url(name), "--rev", BASELINE_REV)
        copy_sql = "COPY artifacts (id, artifact_type, metadata) FROM STDIN"
        with psycopg.connect(pg_url(name)) as conn, conn.cursor() as cur, \
                cur.copy(copy_sql) as cp:
            for row in rows(n):
                cp.write_row(row)
        with psycopg.connect(pg_url(name), autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE artifacts")
        yield admin, name, created
    finally:
        for db in created:
            admin.execute(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)".encode())
        admin.close()


def bench_postgres(g: Governed, n: int) -> None:
    import psycopg

    if not pg_reachable():
        print(f"PostgreSQL: skipped, no server at {PG_ADMIN}")
        return
    with pg_seeded(g.path, n, "senate_bench") as (admin, name, created):
        version = admin.execute("SHOW server_version").fetchone()
        print(f"PostgreSQL {version[0] if version else '?'}, {n} artifacts, {RUNS} runs")
        ref_times: list[float] = []
        app_times: list[float] = []
        for i in range(RUNS):
            ref, db = f"{name}_ref{i}", f"{name}_app{i}"
            for copy in (ref, db):
                admin.execute(f"CREATE DATABASE {copy} TEMPLATE {name}".encode())
                created.append(copy)

            def reference(target: str = ref) -> None:
                with psycopg.connect(pg_url(target)) as conn:
                    conn.execute(PG_REFERENCE.encode())

            ref_times.append(timed(reference))
            app_times.append(timed(lambda target=db: cli(
                "--repo", g.path, "migrate", "apply", "--db", pg_url(target))))
            with psycopg.connect(pg_url(db)) as conn:
                got = conn.execute("SELECT count(*) FROM artifacts WHERE "
                                   "metadata -> 'power' = '0.8'::jsonb").fetchone()
            assert got is not None and got[0] == n, got
        report(ref_times, app_times)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory(prefix="senate-bench-") as tmp_name:
        tmp = Path(tmp_name)
        g, pid = governed_repo(tmp)
        merge(g, pid)
        cli("--repo", g.path, "migrate", "generate")
        bench_sqlite(g, tmp, n)
        bench_postgres(g, n)


if __name__ == "__main__":
    main()
