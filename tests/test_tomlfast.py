"""senate.tomlfast against tomllib: same result on the flat subset, None outside it."""

from __future__ import annotations

import tomllib
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from senate.initrepo import AgentSpec
from senate.policy import default_email
from senate.sshsig import PublicKey
from senate.templating import render
from senate.tomlfast import loads_flat

KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOJ6pD9VJ7VnX9oQ6Yb4W9ZyO8gV1q3cS5T2e7u0w1xZ"


def typed(value: Any) -> Any:
    """A form where True and 1 differ, so equality also checks types."""
    if isinstance(value, dict):
        return {k: typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [typed(v) for v in value]
    return (type(value).__name__, value)


def reference(text: str) -> Any:
    try:
        return typed(tomllib.loads(text))
    except tomllib.TOMLDecodeError:
        return "error"


def check(text: str) -> None:
    fast = loads_flat(text)
    if fast is not None:
        assert typed(fast) == reference(text), text


def test_the_init_template_takes_the_fast_path() -> None:
    key = PublicKey.parse(KEY)
    agents = [AgentSpec(n, key, default_email(n)) for n in ("alice", "bob")]
    text = render("init/senate.toml.j2", {"agents": [
        {"name": a.name, "email": a.email, "key": a.key.openssh(), "vote": i == 0}
        for i, a in enumerate(agents)
    ]})
    fast = loads_flat(text)
    assert fast is not None
    assert typed(fast) == reference(text)
    assert [a["vote"] for a in fast["agents"]] == [True, False]


def test_outside_the_subset_is_none() -> None:
    for text in ('a = "x\\n"', "a = 1_000", "a = +1", "a=1", 'a = "x" # c', "a.b = 1",
                 "[a.b]", "a = 1\r\n", " a = 1", "a = 1\na = 2", "[t]\n[t]", "t = 1\n[t]",
                 "[[t]]\n[t]", "t = 1\n[[t]]", "[t]\n[[t]]", "# \x01", "a = 01", "a = True",
                 "a = 'x'", 'a = """x"""', "a = [1]", "a = {b = 1}", "a = 1.5"):
        assert loads_flat(text) is None, text


NAMES = st.sampled_from(["agents", "rules", "a", "b", "name", "key", "vote", "x-y", "A_1",
                         "senate", "", "a.b", '"q"', "a b"])
VALUES = st.one_of(
    st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=8)
    .map(lambda s: f'"{s}"'),
    st.text(alphabet=' !"#-[]\\~\tabc', max_size=6).map(lambda s: f'"{s}"'),
    st.integers(min_value=-5, max_value=2**70).map(str),
    st.sampled_from(["true", "false", "True", "0", "00", "1_0", "+1", "-0", "1e3", "'s'",
                     '"a\\"b"', '""', "[]", "{}", "inf"]),
)
LINES = st.one_of(
    st.tuples(NAMES, st.sampled_from([" = ", "=", " =  ", "\t= "]), VALUES)
    .map(lambda t: "".join(t)),
    NAMES.map(lambda n: f"[{n}]"),
    NAMES.map(lambda n: f"[[{n}]]"),
    st.text(max_size=10).map(lambda s: "#" + s),
    st.sampled_from(["", " ", "\t", "\r", "#", "[", "]]", "[ a ]", "[[ a ]]", "\0"]),
)


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINES, max_size=12), st.sampled_from(["\n", "\r\n", "\n\n"]), st.booleans())
def test_fast_path_equals_tomllib(lines: list[str], sep: str, final: bool) -> None:
    check(sep.join(lines) + (sep if final else ""))


@settings(max_examples=300)
@given(st.lists(st.tuples(st.sampled_from(["name", "email", "key", "vote"]),
                          st.sampled_from(['"a"', "true", "false", "3", '"b@c"'])),
                max_size=6), st.integers(min_value=0, max_value=3))
def test_roster_shapes(pairs: list[tuple[str, str]], tables: int) -> None:
    body = "".join(f"{k} = {v}\n" for k, v in pairs)
    text = "[rules]\napproval_numerator = 2\n" + ("[[agents]]\n" + body) * tables
    check(text)
    if len({k for k, _ in pairs}) == len(pairs):
        assert loads_flat(text) is not None
