"""The end-to-end demo: a temporary governed repo, four agents with real keys, two
proposals, debate, signed votes, the tally, and (as the pipeline grows) merge, migration
and audit. Every step goes through the same core the CLI and the API use."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from senate.git import GitRepo
from senate.tally import VoteValue

AGENTS = ("ada", "babbage", "curie", "darwin")
NEWCOMER = "erdos"  # not on the first roster: joins by a governance proposal


@dataclass
class DemoLog:
    say: Callable[[str], None]
    steps: list[dict[str, Any]] = field(default_factory=list)

    def step(self, title: str, **data: Any) -> None:
        self.steps.append({"step": title, **data})
        self.say(f"\n== {title}")
        for key, value in data.items():
            text = value if isinstance(value, str) else json.dumps(value)
            self.say(f"   {key}: {text}")


def make_agent_keys(folder: Path) -> dict[str, Ed25519PrivateKey]:
    """Real ed25519 keys, written as OpenSSH files like `ssh-keygen -t ed25519` does."""
    folder.mkdir(parents=True, exist_ok=True)
    keys: dict[str, Ed25519PrivateKey] = {}
    for name in (*AGENTS, NEWCOMER):
        key = Ed25519PrivateKey.generate()
        (folder / name).write_bytes(key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption()))
        (folder / name).chmod(0o600)
        (folder / f"{name}.pub").write_bytes(key.public_key().public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH) + b"\n")
        keys[name] = key
    return keys


def run_demo(workdir: Path, say: Callable[[str], None]) -> DemoLog:
    from senate.counting import count
    from senate.initrepo import init_repo, parse_agent_option
    from senate.propose import ProposalRequest, open_proposal
    from senate.voting import cast

    log = DemoLog(say)
    keys = make_agent_keys(workdir / "keys")
    repo_path = workdir / "governed"
    specs = [parse_agent_option(f"{n}={workdir / 'keys' / (n + '.pub')}") for n in AGENTS]
    git, root = init_repo(repo_path, specs)
    log.step("senate init", repo=str(repo_path), agents=list(AGENTS), commit=root[:12])

    database = setup_platform_database(git, workdir, log)

    compatible = open_proposal(git, keys["ada"], ProposalRequest(
        artifact_type="experiment", change_type="add_field", field="replication_status",
        field_spec={"enum": ["not_attempted", "replicated", "failed_to_replicate"],
                    "default": "not_attempted",
                    "description": "Whether an independent lab has repeated the experiment."},
        rationale="Findings that failed to replicate mislead synthesis. Use case: the "
        "hypothesis agent discounts fear-extinction results that failed to replicate.",
    ))
    log.step("ada proposes (compatible)", id=compatible.id, branch=compatible.branch,
             senate_verdict="backward compatible" if compatible.backward_compatible
             else "breaking")

    cast(git, compatible.id, keys["curie"], None,
         "Who sets failed_to_replicate? A single failed attempt is weak evidence.")
    cast(git, compatible.id, keys["ada"], None,
         "The extraction agent, only from a published replication report; default is "
         "not_attempted, so every existing experiment stays valid.")
    first_votes: list[tuple[str, VoteValue]] = [
        ("ada", "approve"), ("babbage", "approve"), ("curie", "approve"), ("darwin", "abstain")
    ]
    for agent, vote in first_votes:
        cast(git, compatible.id, keys[agent], vote, f"{agent}: {vote} after the debate.")
    first = count(git, compatible.id)
    log.step("debate and votes on " + compatible.id, status=first.status,
             rule=first.tally.rule.name, approve=first.tally.approve,
             required=first.tally.required, abstain=first.tally.abstain)

    breaking = open_proposal(git, keys["babbage"], ProposalRequest(
        artifact_type="experiment", change_type="remove_field", field="source_doi",
        field_spec=None,
        rationale="The PMID is enough to find the paper. Use case: the extraction agent "
        "stops resolving DOIs, which fail for preprints.",
    ))
    second_votes: list[tuple[str, VoteValue]] = [
        ("babbage", "approve"), ("ada", "approve"), ("curie", "reject")
    ]
    for agent, vote in second_votes:
        cast(git, breaking.id, keys[agent], vote,
             "DOIs are the only identifier of preprints." if vote == "reject" else "fine")
    second = count(git, breaking.id)
    log.step("votes on " + breaking.id + " (breaking)", status=second.status,
             rule=second.tally.rule.name, rule_reason=second.tally.rule.reason,
             approve=second.tally.approve, reject=second.tally.reject,
             required=second.tally.required)
    merge_and_archive(git, log, compatible.id, breaking.id, keys["curie"])
    migrate_platform(git, log, database)
    govern_newcomer(git, log, keys, workdir / "keys" / f"{NEWCOMER}.pub")
    from senate.audit import audit

    report = audit(git)
    log.step("senate audit", ok=report.ok, commits=report.commits,
             merges=[p for _, p in report.merges],
             violations=[v.message for v in report.violations])
    return log


def setup_platform_database(git: GitRepo, workdir: Path, log: DemoLog) -> str:
    """The platform's SQLite database as it exists before any proposal: the baseline
    migration, then the shipped sample artifacts."""
    from senate.migrate.apply import apply
    from senate.migrate.db import connect
    from senate.migrate.generate import generate
    from senate.migrate.verify import load_samples
    from senate.proposals import main_tip, policy_at

    url = f"sqlite:///{workdir / 'platform.db'}"
    baseline = generate(git)
    applied = apply(git, url)
    storage = policy_at(git, main_tip(git)).storage
    rows = [
        (ident, kind, json.dumps(doc))
        for kind, docs in load_samples(None).items()
        for ident, doc in docs
    ]
    db = connect(url)
    try:
        db.insert_many(
            f"INSERT INTO {storage.artifacts_table} ({storage.id_column}, "
            f"{storage.type_column}, {storage.metadata_column}) VALUES (?, ?, ?)",
            rows,
        )
    finally:
        db.close()
    log.step("platform database (SQLite) before any proposal", database=url,
             baseline=[m for m in baseline.migrations], applied=list(applied.applied),
             artifacts=len(rows))
    return url


def merge_and_archive(git: GitRepo, log: DemoLog, compatible: str, breaking: str,
                      archiver: Ed25519PrivateKey) -> None:
    from senate.archiving import archive_proposal
    from senate.merging import Merged, merge_proposal

    merged = merge_proposal(git, compatible)
    assert isinstance(merged, Merged), merged
    log.step("senate merge " + compatible, commit=merged.commit[:12],
             approved_by=list(merged.approved_by), schema_versions=dict(merged.versions))
    refused = merge_proposal(git, breaking)
    assert not isinstance(refused, Merged)
    archived = archive_proposal(git, breaking, refused.reason, key=archiver)  # signed
    log.step("senate merge " + breaking + " (refused, archived)", refused=refused.reason,
             archive_commit=archived.commit[:12], tag=archived.tag)


def migrate_platform(git: GitRepo, log: DemoLog, url: str) -> None:
    from senate.migrate.apply import apply
    from senate.migrate.db import connect
    from senate.migrate.generate import generate
    from senate.proposals import main_tip, policy_at

    generated = generate(git)
    applied = apply(git, url)
    storage = policy_at(git, main_tip(git)).storage
    db = connect(url)
    try:
        row = db.query(
            f"SELECT {storage.id_column}, {storage.metadata_column} FROM "
            f"{storage.artifacts_table} WHERE {storage.type_column} = 'experiment' "
            f"ORDER BY {storage.id_column} LIMIT 1"
        )[0]
        current = db.query(
            f"SELECT schema_version FROM {storage.registry_table} "
            "WHERE artifact_type = 'experiment' AND is_current = 1"
        )[0][0]
        history = [r[0] for r in db.query(
            f"SELECT migration_id FROM {storage.history_table} ORDER BY version")]
    finally:
        db.close()
    metadata = json.loads(row[1])
    log.step("senate migrate generate + apply (SQLite)", generated=list(generated.migrations),
             applied=list(applied.applied), experiment_schema_version=current,
             migration_history=history,
             backfilled=f"{row[0]}: replication_status = "
             f"{metadata.get('replication_status')!r}")


def govern_newcomer(git: GitRepo, log: DemoLog, keys: dict[str, Ed25519PrivateKey],
                    public: Path) -> None:
    """A governance proposal adds an agent, who then votes on a schema proposal."""
    from senate.counting import count
    from senate.govern import open_governance
    from senate.governance import GovernanceChange
    from senate.merging import Merged, merge_proposal
    from senate.propose import ProposalRequest, open_proposal
    from senate.voting import cast

    change = GovernanceChange("add", NEWCOMER, " ".join(public.read_text().split()[:2]))
    opened = open_governance(git, keys["ada"], change, "Erdos reviews statistics; the "
                             "roster needs a fifth voter for power analyses.")
    for agent in AGENTS:
        cast(git, opened.id, keys[agent], "approve", f"{agent}: welcome, {NEWCOMER}.")
    # the new key proves it is held: its approve is a co-signature, not an eligible vote
    cast(git, opened.id, keys[NEWCOMER], "approve", f"{NEWCOMER}: this is my key.")
    merged = merge_proposal(git, opened.id)
    assert isinstance(merged, Merged), merged
    log.step(f"senate govern add {NEWCOMER} (governance proposal, merged)", id=opened.id,
             rule=opened.rule.reason, merge=merged.commit[:12])
    schema = open_proposal(git, keys["curie"], ProposalRequest(
        artifact_type="experiment", change_type="add_field", field="preregistration_url",
        field_spec={"type": "string", "format": "uri",
                    "description": "Where the study was preregistered."},
        rationale="Preregistered studies carry more weight. Use case: the synthesis agent "
        "ranks preregistered experiments first.",
    ))
    for agent in ("curie", NEWCOMER, "ada", "babbage"):
        cast(git, schema.id, keys[agent], "approve", f"{agent}: preregistration matters.")
    counted = count(git, schema.id)
    log.step(f"{NEWCOMER} votes on {schema.id}", status=counted.status,
             counted=[v.agent for v in counted.tally.counted],
             eligible=list(counted.tally.eligible))
