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

from senate.tally import VoteValue

AGENTS = ("ada", "babbage", "curie", "darwin")


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
    for name in AGENTS:
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

    compatible = open_proposal(git, keys["ada"], ProposalRequest(
        artifact_type="experiment", change_type="add_field", field="statistical_power",
        field_spec={"type": "number", "minimum": 0, "maximum": 1,
                    "description": "Achieved power (1 - beta) at the reported effect size."},
        rationale="Meta-analyses weight underpowered studies down. Use case: the synthesis "
        "agent ranks fear-extinction experiments by power before pooling effect sizes.",
    ))
    log.step("ada proposes (compatible)", id=compatible.id, branch=compatible.branch,
             senate_verdict="backward compatible" if compatible.backward_compatible
             else "breaking")

    cast(git, compatible.id, keys["curie"], None,
         "Should this be post hoc power? Post hoc power is a function of the p value.")
    cast(git, compatible.id, keys["ada"], None,
         "A priori power from the preregistration where available; the description says so.")
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
    for extra in _later_steps():
        extra(git, log, keys, compatible.id, breaking.id, workdir)
    return log


def _later_steps() -> list[Callable[..., None]]:
    """Merge, archive, migrations and audit, added as those parts of Senate land."""
    return []
