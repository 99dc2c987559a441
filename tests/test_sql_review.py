"""What a reviewer sees of the proposer's SQL: `senate show` and the review page list each
statement with its classification and the dry run's effect table."""

from __future__ import annotations

import html
from typing import Any

import httpx
from apikit import serve_in_thread
from conftest import Governed
from migkit import propose

ADD = ("--type", "experiment", "--change", "add_field", "--field", "notes",
       "--spec", '{"type": "string"}')
SQL = ("UPDATE artifacts SET metadata = json_set(metadata, '$.notes', 'x')\n"
       "WHERE artifact_type = 'experiment';\n"
       "DELETE FROM artifacts WHERE artifact_type = 'wiki';\n")


def test_show_lists_statements_and_the_effect_table(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql=SQL)
    data = cli("--repo", g.path, "show", pid, "--json").json()
    kinds = [(s["line"], s["kind"], s["dialects"]) for s in data["sql"]["statements"]]
    assert kinds == [(1, "allowed", ["sqlite", "postgres"]),
                     (3, "destructive", ["sqlite", "postgres"])]
    [run] = data["sql"]["dry_runs"]
    artifacts = next(t for t in run["tables"] if t["table"] == "artifacts")
    assert artifacts["before"] - artifacts["after"] == artifacts["lost"] == 2  # two wikis
    assert len(run["changed_artifacts"]) == 2  # two experiments
    text = cli("--repo", g.path, "show", pid).out
    assert "  [allowed] migration.sql line 1 (sqlite, postgres): rewrites the metadata" in text
    assert "!![destructive] migration.sql line 3 (sqlite, postgres): DELETE removes" in text
    assert "rows before" in text and "rows after" in text and "changed" in text
    row = next(line for line in text.splitlines() if line.startswith("!!artifacts"))
    assert row.split()[1:] == [str(artifacts["before"]), str(artifacts["after"]),
                               str(artifacts["changed"])]
    assert "the sqlite dry run lost 2 row(s) of artifacts" in text  # in the rule


def test_show_says_what_a_required_field_without_default_does(
    cli: Any, governed: Governed
) -> None:
    g = governed
    pid = propose(cli, g, "--type", "experiment", "--change", "add_field", "--field", "power",
                  "--spec", '{"type": "number"}', "--required", sql="SELECT 1;\n")
    text = cli("--repo", g.path, "show", pid).out
    assert ("Note: experiment.power is added as a required field without a default: existing "
            "experiment artifacts become invalid unless the proposer's SQL backfills them."
            ) in text
    assert "found 2 artifact(s) invalid afterwards" in text
    assert "!! invalid under the new schema afterwards: 2" in text


def test_review_page_highlights_destructive_statements(cli: Any, governed: Governed) -> None:
    g = governed
    pid = propose(cli, g, *ADD, sql=SQL)
    with serve_in_thread(g.path) as url:
        page = httpx.get(f"{url}/senate/proposals/{pid}")
    assert page.status_code == 200
    text = page.text
    table = text[text.index('id="sql-statements"'):text.index("</table>",
                                                               text.index('id="sql-statements"'))]
    assert table.count('<tr class="breaking">') == 1 and table.count('<tr class="ok">') == 1
    assert "DELETE FROM artifacts WHERE artifact_type = " in html.unescape(table)
    effect = text[text.index('id="dry-run-sqlite"'):]
    effect = effect[:effect.index("</table>")]
    assert "<th>Rows before</th><th>Rows after</th><th>Changed</th>" in effect
    assert '<tr class="breaking"><td class="mono">artifacts</td>' in effect
