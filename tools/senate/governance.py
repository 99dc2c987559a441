"""Governance changes (the roster and the rules in senate.toml) and the rule that passes them.

Pure: policies and changes in, values out. The rule, after TUF's root rotation:
- eligible: every voter of the CURRENT roster except those the change removes or revokes
  (they cannot veto their own removal); should that leave nobody, they all stay eligible,
  since a change nobody may approve must not pass by default;
- required: all of them, or the current roster's own `governance` threshold (say 2/3),
  which a change to that very threshold is still judged under;
- co-signers: every agent whose key the change adds or rotates must sign an approve ballot
  with the NEW key (proof of possession); that ballot is not an eligible vote.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal, cast

from senate.errors import UsageError
from senate.policy import (
    IDENT_RE,
    NAME_RE,
    Agent,
    Compatibility,
    CompatMode,
    OpenContent,
    Policy,
    Storage,
    default_email,
    parse_policy,
)
from senate.policyedit import add_agent, remove_agent, set_in_agent, set_in_table
from senate.sshsig import PublicKey

Op = Literal["add", "remove", "rotate", "grant", "revoke", "set"]
OPS: tuple[Op, ...] = ("add", "remove", "rotate", "grant", "revoke", "set")
SETTINGS = ("approval", "governance", "voting_window_hours", "debate_period_hours",
            "compatibility_mode", "open_content",
            *(f"storage.{f}" for f in Storage.__dataclass_fields__))


@dataclass(frozen=True)
class GovernanceChange:
    """One edit of senate.toml, as proposal.json records it."""

    op: Op
    agent: str | None = None  # add, remove, rotate, grant, revoke
    key: str | None = None  # add, rotate: the OpenSSH public key
    vote: bool = True  # add: with voting rights?
    setting: str | None = None  # set
    value: str | None = None  # set, as given on the command line

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op": self.op}
        if self.op == "set":
            out.update(setting=self.setting, value=self.value)
        else:
            out["agent"] = self.agent
        if self.op in ("add", "rotate"):
            out["key"] = self.key
        if self.op == "add":
            out["vote"] = self.vote
        return out

    @staticmethod
    def from_json(data: dict[str, Any]) -> GovernanceChange:
        return GovernanceChange(data["op"], data.get("agent"), data.get("key"),
                                data.get("vote", True), data.get("setting"), data.get("value"))

    def describe(self) -> str:
        if self.op == "set":
            return f"set {self.setting} = {self.value}"
        return f"{self.op} {self.agent}" + ("" if self.vote or self.op != "add" else " (no vote)")


@dataclass(frozen=True)
class GovernanceRule:
    eligible: tuple[str, ...]
    required: int
    cosigners: tuple[str, ...]
    reason: str


def governance_rule(current: Policy, proposed: Policy
                    ) -> tuple[tuple[str, ...], int, tuple[str, ...], str]:
    """(eligible agents, required approvals, required co-signers, reason)."""
    rule = rule_for(current, proposed)
    return rule.eligible, rule.required, rule.cosigners, rule.reason


def rule_for(current: Policy, proposed: Policy) -> GovernanceRule:
    after = {a.name: a for a in proposed.agents}
    dropped = tuple(a.name for a in current.voters
                    if a.name not in after or not after[a.name].vote)
    eligible = tuple(a.name for a in current.voters if a.name not in dropped)
    notes: list[str] = []
    if not eligible:
        eligible = tuple(a.name for a in current.voters)
        notes.append("it removes or revokes every voter, so they all stay eligible")
    elif dropped:
        notes.append(f"{', '.join(dropped)} removed or revoked by it, not eligible (no veto "
                     "over their own removal)")
    cosigners = tuple(a.name for a in proposed.agents
                      if (old := current.agent(a.name)) is None or old.key.blob != a.key.blob)
    if cosigners:
        notes.append(f"the new key of {', '.join(cosigners)} must co-sign with an approve "
                     "ballot")
    fraction = current.rules.governance
    if fraction is None:
        required = len(eligible)
        head = f"governance change: every one of the {len(eligible)} eligible agents"
    else:
        num, den = fraction
        required = max(-(-len(eligible) * num // den), 1)
        head = (f"governance change: {num}/{den} of the {len(eligible)} eligible agents "
                f"({required})")
    return GovernanceRule(eligible, required, cosigners,
                          head + " of the current roster must approve"
                          + "".join(f"; {n}" for n in notes))


# -- turning a change into the new senate.toml -----------------------------------------
def _quoted(value: str) -> str:
    if any(c in value for c in '"\\\n') or not value.isprintable():
        raise UsageError(f"{value!r} cannot be written into senate.toml")
    return f'"{value}"'


def _positive(value: str, what: str) -> int:
    if not value.isdigit() or int(value) < 1:
        raise UsageError(f"{what} must be a whole number of hours >= 1 (or none), not "
                         f"{value!r}")
    return int(value)


def _fraction(value: str, what: str) -> tuple[int, int]:
    num, sep, den = value.partition("/")
    if not sep or not num.isdigit() or not den.isdigit() or not 0 < int(num) <= int(den):
        raise UsageError(f"{what} must be a fraction N/D with 0 < N <= D, such as 2/3, not "
                         f"{value!r}")
    return int(num), int(den)


def _setting(text: str, policy: Policy, setting: str | None, value: str | None
             ) -> tuple[str, Policy]:
    if setting not in SETTINGS or value is None:
        raise UsageError(f"unknown setting {setting!r}", "one of: " + ", ".join(SETTINGS))
    rules, compat = policy.rules, policy.compatibility
    if setting == "approval":
        num, den = _fraction(value, "approval")
        text = set_in_table(set_in_table(text, "rules", "approval_numerator", str(num)),
                            "rules", "approval_denominator", str(den))
        return text, dataclasses.replace(policy, rules=dataclasses.replace(
            rules, numerator=num, denominator=den))
    if setting == "governance":
        fraction = None if value == "unanimous" else _fraction(value, "governance")
        for part, n in (("numerator", 0), ("denominator", 1)):
            text = set_in_table(text, "rules", f"governance_{part}",
                                None if fraction is None else str(fraction[n]))
        return text, dataclasses.replace(policy, rules=dataclasses.replace(
            rules, governance=fraction))
    if setting in ("voting_window_hours", "debate_period_hours"):
        hours = None if value == "none" else _positive(value, setting)
        text = set_in_table(text, "rules", setting, None if hours is None else str(hours))
        new_rules = (dataclasses.replace(rules, voting_window_hours=hours)
                     if setting == "voting_window_hours"
                     else dataclasses.replace(rules, debate_period_hours=hours))
        return text, dataclasses.replace(policy, rules=new_rules)
    if setting in ("compatibility_mode", "open_content"):
        key = "mode" if setting == "compatibility_mode" else "open_content"
        allowed = ("backward", "forward", "full") if key == "mode" else ("lenient", "strict")
        if value not in allowed:
            raise UsageError(f"{setting} must be one of {', '.join(allowed)}, not {value!r}")
        new_compat = (Compatibility(cast(CompatMode, value), compat.open_content)
                      if key == "mode" else Compatibility(compat.mode, cast(OpenContent, value)))
        return (set_in_table(text, "compatibility", key, _quoted(value)),
                dataclasses.replace(policy, compatibility=new_compat))
    field = setting.split(".", 1)[1]
    if not IDENT_RE.match(value):
        raise UsageError(f"{setting} = {value!r} is not a plain SQL identifier",
                         "use lowercase letters, digits and underscores")
    return set_in_table(text, "storage", field, _quoted(value)), dataclasses.replace(
        policy, storage=dataclasses.replace(policy.storage, **{field: value}))


def _agent_change(text: str, policy: Policy, change: GovernanceChange) -> tuple[str, Policy]:
    name = change.agent or ""
    if not NAME_RE.match(name):
        raise UsageError(f"agent name {name!r} is not valid",
                         "use lowercase letters, digits, '-' and '_', starting with a letter")
    agents = list(policy.agents)
    if change.op == "add":
        key = PublicKey.parse(change.key or "", f"the key of {name!r}")
        if policy.agent(name) is not None:
            raise UsageError(f"agent {name!r} is already on the roster",
                             "use `senate govern rotate` to change its key")
        new = Agent(name, default_email(name), key, change.vote)
        text = add_agent(text, [("name", _quoted(name)), ("email", _quoted(new.email)),
                                ("key", _quoted(key.openssh())),
                                ("vote", "true" if change.vote else "false")])
        return text, dataclasses.replace(policy, agents=(*agents, new))
    old = policy.agent(name)
    if old is None:
        raise UsageError(f"no agent {name!r} on the roster", "see `senate roster list`")
    at = agents.index(old)
    if change.op == "remove":
        del agents[at]
        return remove_agent(text, name), dataclasses.replace(policy, agents=tuple(agents))
    if change.op == "rotate":
        key = PublicKey.parse(change.key or "", f"the new key of {name!r}")
        if key.blob == old.key.blob:
            raise UsageError(f"that is already {name}'s key", "rotate to a new key")
        agents[at] = dataclasses.replace(old, key=key)
        text = set_in_agent(text, name, "key", _quoted(key.openssh()))
        return text, dataclasses.replace(policy, agents=tuple(agents))
    vote = change.op == "grant"
    if old.vote == vote:
        raise UsageError(f"{name} {'already has' if vote else 'has no'} voting rights",
                         "nothing to change")
    agents[at] = dataclasses.replace(old, vote=vote)
    text = set_in_agent(text, name, "vote", "true" if vote else "false")
    return text, dataclasses.replace(policy, agents=tuple(agents))


def apply_governance(text: str, change: GovernanceChange, source: str = "senate.toml"
                     ) -> tuple[str, Policy]:
    """The edited senate.toml and the policy it holds; UsageError (with the reason) when the
    change is malformed, leaves no voter, duplicates a name or key, or the file's layout
    defeats an exact edit."""
    if change.op not in OPS:
        raise UsageError(f"unknown governance change {change.op!r}", "one of: " + ", ".join(OPS))
    current = parse_policy(text, source)
    if change.op == "set":
        new_text, expected = _setting(text, current, change.setting, change.value)
    else:
        new_text, expected = _agent_change(text, current, change)
    if new_text == text:
        raise UsageError(f"{change.describe()} changes nothing", "nothing to propose")
    if not expected.voters:
        raise UsageError(f"{change.describe()} would leave no agent with voting rights",
                         "a roster needs at least one voter")
    got = parse_policy(new_text, f"{source} after {change.describe()}")  # duplicates etc.
    if got != expected:
        raise UsageError(f"{source} could not be edited to exactly {change.describe()} "
                         "(its layout is not the one Senate writes)",
                         "make the edit by hand on a proposal branch")
    return new_text, got


# -- for the counter (not wired yet): scope, exact edit, co-signing keys, outcome ----------
def scope_problems(proposal_type: str, changed: list[str], policy_file: str = "senate.toml",
                   schema_dir: str = "schemas") -> list[str]:
    """A schema proposal may not touch the policy; a governance one touches nothing else."""
    schemas = [p for p in changed if p.startswith(f"{schema_dir}/")]
    if proposal_type != "governance":
        return ([f"a schema proposal may not change {policy_file}: the roster and the rules "
                 "change only by a governance proposal (`senate govern ...`)"]
                if policy_file in changed else [])
    out = [] if policy_file in changed else [f"a governance proposal that leaves "
                                             f"{policy_file} unchanged"]
    if schemas:
        out.append(f"a governance proposal changes {policy_file} only, not "
                   + ", ".join(schemas[:5]))
    return out


def edit_problem(base_text: str, tip_text: str, change: GovernanceChange) -> str | None:
    """None when the tip's senate.toml is exactly `change` applied to the base's."""
    try:
        expected, _ = apply_governance(base_text, change)
    except UsageError as exc:
        return f"its change cannot be applied to the base's senate.toml: {exc.message}"
    if expected != tip_text:
        return f"its senate.toml differs from {change.describe()} applied to the base's"
    return None


def cosigning_keys(current: Policy, proposed: Policy) -> dict[bytes, str]:
    """Key blob -> agent, for the keys whose approve ballot is the required co-signature."""
    names = set(rule_for(current, proposed).cosigners)
    return {a.key.blob: a.name for a in proposed.agents if a.name in names}


def passes(rule: GovernanceRule, approvals: set[str], cosigned: set[str]) -> bool:
    """Approved by enough eligible agents AND co-signed by every added or rotated key."""
    counted = len(approvals & set(rule.eligible))
    return counted >= rule.required and set(rule.cosigners) <= cosigned
