from __future__ import annotations

from pathlib import Path
from typing import Any

from senate.demo import run_demo


def test_demo_runs_the_flow(tmp_path: Path) -> None:
    lines: list[str] = []
    log = run_demo(tmp_path, lines.append)
    by_step = {s["step"]: s for s in log.steps}
    compatible = next(s for t, s in by_step.items() if t.startswith("debate and votes"))
    assert (compatible["status"], compatible["rule"]) == ("approved", "two_thirds")
    breaking = next(s for t, s in by_step.items() if "(breaking)" in t)
    assert (breaking["status"], breaking["rule"]) == ("rejected", "unanimous")
    assert any("senate init" in line for line in lines)
    merged = next(s for t, s in by_step.items() if t.startswith("senate merge 0001"))
    assert merged["schema_versions"] == {"experiment": 2}
    archived = next(s for t, s in by_step.items() if "(refused, archived)" in t)
    assert archived["tag"] == "refs/tags/archive/0002-experiment-source-doi"
    migrated = by_step["senate migrate generate + apply (SQLite)"]
    assert migrated["experiment_schema_version"] == 2
    assert migrated["backfilled"].endswith("replication_status = 'not_attempted'")
    assert by_step["senate audit"]["ok"] is True
    governed = next(s for t, s in by_step.items() if t.startswith("senate govern add erdos"))
    assert "new key of erdos must co-sign" in governed["rule"]
    newcomer = next(s for t, s in by_step.items() if t.startswith("erdos votes on"))
    assert "erdos" in newcomer["counted"] and "erdos" in newcomer["eligible"]
    assert newcomer["status"] == "approved"


def test_demo_command_json(tmp_path: Path, cli: Any) -> None:
    result = cli("demo", "--keep", tmp_path / "d", "--json")
    assert result.code == 0, result.err
    steps = result.json()["steps"]
    assert steps[0]["step"] == "senate init"
    assert (tmp_path / "d" / "governed" / "senate.toml").is_file()
