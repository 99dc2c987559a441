"""senate.toml: the roster of agents and the rules, read from the base branch only.

The file is parsed into small frozen values; anything malformed is a UsageError that
names the key at fault, because a policy that half-loads is a policy an attacker edits.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from senate.boundedmemo import BoundedDict
from senate.errors import UsageError
from senate.sshsig import PublicKey
from senate.tomlfast import loads_flat

POLICY_FILE = "senate.toml"
NAME_RE = re.compile(r"^[a-z][a-z0-9_-]{0,38}$")
IDENT_RE = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
COMMIT_RE = re.compile(r"^(?:[0-9a-f]{40}|[0-9a-f]{64})$")

CompatMode = Literal["backward", "forward", "full"]
OpenContent = Literal["lenient", "strict"]


@dataclass(frozen=True)
class Agent:
    name: str
    email: str
    key: PublicKey
    vote: bool = True

    def allowed_signers_line(self) -> str:
        return f'{self.email} namespaces="git" {self.key.openssh()}'


@dataclass(frozen=True)
class Rules:
    """Thresholds as exact fractions: approvals * denominator >= eligible * numerator."""

    numerator: int = 2
    denominator: int = 3
    voting_window_hours: int | None = None
    debate_period_hours: int | None = None
    # A governance change's own threshold (e.g. 2/3); None: every eligible agent.
    governance: tuple[int, int] | None = None


@dataclass(frozen=True)
class Compatibility:
    mode: CompatMode = "backward"
    open_content: OpenContent = "lenient"
    dialect: str = "2020-12"  # the JSON Schema draft of a schema without $schema


@dataclass(frozen=True)
class Storage:
    """Where artifacts live in SQL: every identifier is checked before any template sees it."""

    artifacts_table: str = "artifacts"
    id_column: str = "id"
    type_column: str = "artifact_type"
    metadata_column: str = "metadata"
    registry_table: str = "schema_registry"
    history_table: str = "migration_history"
    # The platform's view of governance (`senate sync`): proposals, votes, events, state.
    proposals_table: str = "senate_proposals"
    votes_table: str = "senate_votes"
    events_table: str = "senate_events"  # also the PostgreSQL NOTIFY channel
    sync_table: str = "senate_sync_state"


@dataclass(frozen=True)
class Platform:
    """The platform database Senate reports on (`senate show`, the review page).

    `dsn_env` names an environment variable holding the DSN, so that a password never has
    to be committed; `dsn` is for password-less DSNs (local sockets, trust auth)."""

    dsn: str | None = None
    dsn_env: str | None = None
    impact_sample: int = 1000

    def resolved_dsn(self) -> str | None:
        import os

        if self.dsn_env:
            return os.environ.get(self.dsn_env) or self.dsn
        return self.dsn


@dataclass(frozen=True)
class DryRun:
    """[dry_run]: what the count-time rehearsal of a proposal's migration runs on.

    samples: a folder of the repository (<type>/<name>.json), read at the counted commit,
    loaded on top of the shipped samples; sample_dsn: a database to copy at most
    sample_limit artifacts from, read-only; postgres_dsn: a PostgreSQL server to rehearse
    on too, inside a transaction that is always rolled back."""

    samples: str | None = None
    sample_dsn: str | None = None
    sample_limit: int = 1000
    postgres_dsn: str | None = None


@dataclass(frozen=True)
class Policy:
    agents: tuple[Agent, ...]
    rules: Rules = Rules()
    compatibility: Compatibility = Compatibility()
    storage: Storage = Storage()
    platform: Platform = Platform()
    dry_run: DryRun = DryRun()
    # `senate adopt`: the last commit before governance (history up to it predates Senate).
    adopted_after: str | None = None

    @property
    def voters(self) -> tuple[Agent, ...]:
        return tuple(a for a in self.agents if a.vote)

    def agent(self, name: str) -> Agent | None:
        return next((a for a in self.agents if a.name == name), None)

    def by_key(self) -> dict[bytes, Agent]:
        return {a.key.blob: a for a in self.agents}

    def allowed_signers(self) -> str:
        return "".join(a.allowed_signers_line() + "\n" for a in self.agents)


def default_email(name: str) -> str:
    return f"{name}@agents.invalid"


# Parsed rosters by their exact text. A count reads the roster at main's tip and at the
# proposal's tip, and a running process (the API, sync) counts again and again: for a
# roster of 10,000 agents the parse (every key decoded and checked) is ~0.3 s. Keyed by
# the whole text, so any byte changed is a fresh parse; `source` only names the file in
# error messages, and failures are never kept. Policy is frozen, so sharing is safe.
_PARSED_MAX = 8
_PARSED: BoundedDict[str, Policy] = BoundedDict(_PARSED_MAX)


def parse_policy(text: str, source: str = POLICY_FILE) -> Policy:
    found = _PARSED.get(text)
    if found is None:
        found = _parse_policy(text, source)
        _PARSED.keep(text, found)
    return found


def _parse_policy(text: str, source: str) -> Policy:
    data = loads_flat(text)  # the common shape, fast; anything else goes to tomllib
    try:
        data = data if data is not None else tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{source} is not valid TOML: {exc}") from exc
    agents = _agents(data.get("agents"), source)
    rules_t = _table(data, "rules", source)
    rules = Rules(
        numerator=_int(rules_t, "approval_numerator", 2, source, minimum=1),
        denominator=_int(rules_t, "approval_denominator", 3, source, minimum=1),
        voting_window_hours=_opt_int(rules_t, "voting_window_hours", source),
        debate_period_hours=_opt_int(rules_t, "debate_period_hours", source),
    )
    if rules.numerator > rules.denominator:
        raise UsageError(f"{source}: [rules] approval fraction is above 1")
    if "governance_numerator" in rules_t or "governance_denominator" in rules_t:
        fraction = (_int(rules_t, "governance_numerator", 0, source, minimum=1),
                    _int(rules_t, "governance_denominator", 0, source, minimum=1))
        if fraction[0] > fraction[1]:
            raise UsageError(f"{source}: [rules] governance fraction is above 1")
        rules = Rules(rules.numerator, rules.denominator, rules.voting_window_hours,
                      rules.debate_period_hours, fraction)
    compat_t = _table(data, "compatibility", source)
    mode = compat_t.get("mode", "backward")
    open_content = compat_t.get("open_content", "lenient")
    if mode not in ("backward", "forward", "full"):
        raise UsageError(f"{source}: [compatibility] mode must be backward, forward or full")
    if open_content not in ("lenient", "strict"):
        raise UsageError(f"{source}: [compatibility] open_content must be lenient or strict")
    dialect = compat_t.get("dialect", "2020-12")
    if dialect not in ("draft-04", "draft-06", "draft-07", "2019-09", "2020-12"):
        raise UsageError(f"{source}: [compatibility] dialect must be draft-04, draft-06, "
                         "draft-07, 2019-09 or 2020-12")
    storage_t = _table(data, "storage", source)
    defaults = Storage()
    storage_values: dict[str, str] = {}
    for field in defaults.__dataclass_fields__:
        value = storage_t.get(field, getattr(defaults, field))
        if not isinstance(value, str) or not IDENT_RE.match(value):
            raise UsageError(
                f"{source}: [storage] {field} = {value!r} is not a plain SQL identifier",
                "use lowercase letters, digits and underscores",
            )
        storage_values[field] = value
    adopted_after = _table(data, "senate", source).get("adopted_after")
    if adopted_after is not None and (not isinstance(adopted_after, str)
                                      or not COMMIT_RE.match(adopted_after)):
        raise UsageError(f"{source}: [senate] adopted_after = {adopted_after!r} is not a "
                         "full commit id")
    return Policy(
        agents=agents,
        rules=rules,
        compatibility=Compatibility(mode, open_content, dialect),
        storage=Storage(**storage_values),
        platform=_platform(_table(data, "platform", source), source),
        dry_run=_dry_run(_table(data, "dry_run", source), source),
        adopted_after=adopted_after,
    )


def _platform(t: Mapping[str, Any], source: str) -> Platform:
    for key in ("dsn", "dsn_env"):
        if key in t and not isinstance(t[key], str):
            raise UsageError(f"{source}: [platform] {key} must be a string")
    return Platform(t.get("dsn") or None, t.get("dsn_env") or None,
                    _int(t, "impact_sample", 1000, source, minimum=1))


def _dry_run(t: Mapping[str, Any], source: str) -> DryRun:
    texts: dict[str, str | None] = {}
    for key in ("samples", "sample_dsn", "postgres_dsn"):
        value = t.get(key)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise UsageError(f"{source}: [dry_run] {key} must be a non-empty string")
        texts[key] = value
    samples = texts["samples"]
    if samples is not None and (samples.startswith("/") or ".." in samples.split("/")):
        raise UsageError(f"{source}: [dry_run] samples must be a folder inside the repository",
                         "e.g. samples = \"samples/artifacts\"")
    limit = _int(t, "sample_limit", 1000, source, minimum=1)
    if limit > 100_000:
        raise UsageError(f"{source}: [dry_run] sample_limit must be at most 100000")
    return DryRun(samples, texts["sample_dsn"], limit, texts["postgres_dsn"])


def _agents(raw: Any, source: str) -> tuple[Agent, ...]:
    if not isinstance(raw, list) or not raw:
        raise UsageError(f"{source}: no [[agents]]; the roster needs at least one agent")
    seen_names: set[str] = set()
    seen_keys: set[bytes] = set()
    seen_emails: set[str] = set()
    out: list[Agent] = []
    for i, entry in enumerate(raw):
        where = f"{source}: [[agents]] #{i + 1}"
        if not isinstance(entry, dict):
            raise UsageError(f"{where} is not a table")
        name = entry.get("name")
        if not isinstance(name, str) or not NAME_RE.match(name):
            raise UsageError(f"{where}: name {name!r} must match {NAME_RE.pattern}")
        email = entry.get("email", default_email(name))
        if not isinstance(email, str) or "<" in email or ">" in email or "@" not in email:
            raise UsageError(f"{where}: email {email!r} is not a plain address")
        key_text = entry.get("key")
        if not isinstance(key_text, str):
            raise UsageError(f"{where}: key is missing")
        key = PublicKey.parse(key_text, f"{where} key")
        vote = entry.get("vote", True)
        if not isinstance(vote, bool):
            raise UsageError(f"{where}: vote must be true or false")
        if name in seen_names:
            raise UsageError(f"{where}: duplicate agent name {name!r}")
        if key.blob in seen_keys:
            raise UsageError(f"{where}: key of {name!r} is already used by another agent")
        if email in seen_emails:
            raise UsageError(f"{where}: email {email!r} is already used by another agent")
        seen_names.add(name)
        seen_keys.add(key.blob)
        seen_emails.add(email)
        out.append(Agent(name=name, email=email, key=key, vote=vote))
    return tuple(out)


def _table(data: Mapping[str, Any], name: str, source: str) -> Mapping[str, Any]:
    value = data.get(name, {})
    if not isinstance(value, dict):
        raise UsageError(f"{source}: [{name}] must be a table")
    return value


def _int(t: Mapping[str, Any], key: str, default: int, source: str, minimum: int = 0) -> int:
    value = t.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
        raise UsageError(f"{source}: {key} must be an integer >= {minimum}")
    return value


def _opt_int(t: Mapping[str, Any], key: str, source: str) -> int | None:
    if key not in t:
        return None
    return _int(t, key, 0, source, minimum=1)
