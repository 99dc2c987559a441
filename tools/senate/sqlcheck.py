"""The proposer's SQL, judged statement by statement against an allow-list.

Pure: text in, verdicts out. The text is split where the engines split it (quotes,
comments and dollar quotes known, see senate.sqltext) and each piece is parsed by sqlglot
in the target dialect; the parse, never the text, decides. Each statement ends as

  allowed      on the list below: it can neither lose data nor hide what it does;
  destructive  Senate reads it and it loses or rewrites data or structure: unanimity;
  refused      Senate cannot tell what it does, or it reaches past the storage tables or
               breaks the one-transaction wrapper: it blocks approval.

The list (README "The proposer's SQL" says why each entry is there):
  UPDATE <artifacts> SET <metadata> = ... WHERE ... <type> = '<target>' [AND ...]
  INSERT INTO <artifacts> ... [ON CONFLICT DO NOTHING | OR IGNORE]
  CREATE [UNIQUE] INDEX ... ON <artifacts> (not CONCURRENTLY)
  ALTER TABLE <artifacts> ADD COLUMN ...
  SELECT reading only the storage tables
with every function call either one sqlglot knows as a standard function or on PURE_CALLS.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from senate.policy import Storage
from senate.sqltext import split_statements

DIALECTS = {"sqlite": "sqlite", "postgres": "postgres"}
Kind = Literal["allowed", "destructive", "refused"]
SEVERITY: dict[str, int] = {"allowed": 0, "destructive": 1, "refused": 2}

# Engine-specific calls sqlglot does not model (they parse as anonymous functions). Only
# pure, value-computing ones; pg_sleep, set_config, load_extension, lo_import, dblink_* and
# every user-defined function stay off, so a call can never run hidden code.
PURE_CALLS = frozenset({
    "json", "json_insert", "json_replace", "json_patch", "json_array", "json_valid", "json_quote",
    "json_array_length", "json_each", "json_tree", "json_group_array", "json_group_object",
    "jsonb", "jsonb_set", "jsonb_insert", "jsonb_build_object", "jsonb_build_array",
    "jsonb_strip_nulls", "jsonb_typeof", "jsonb_array_length", "jsonb_extract_path",
    "jsonb_extract_path_text", "jsonb_path_exists", "jsonb_path_query_first", "jsonb_object_keys",
    "jsonb_pretty", "to_json", "to_jsonb", "json_build_object", "json_build_array", "json_typeof",
    "datetime", "date", "time", "julianday", "printf", "format", "ifnull", "iif",
})
TRANSACTION_WORDS = frozenset(
    {"BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"})
NOT_PURE_TYPED = frozenset({"NextValueFor"})  # typed by sqlglot, but it advances a sequence


@dataclass(frozen=True)
class Verdict:
    """One statement of the proposer's SQL and what Senate makes of it."""

    line: int
    statement: str
    kind: Kind
    reason: str

    def describe(self) -> str:
        return f"line {self.line}: {self.reason}: {short(self.statement)}"

    def to_json(self) -> dict[str, Any]:
        return {"line": self.line, "statement": self.statement, "kind": self.kind,
                "reason": self.reason}


@dataclass(frozen=True)
class SqlReport:
    statements: tuple[Verdict, ...] = ()

    @property
    def refused(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.statements if v.kind == "refused")

    @property
    def destructive(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.statements if v.kind == "destructive")

    @property
    def ok(self) -> bool:
        return not self.refused


def quiet_sqlglot() -> None:
    """sqlglot logs "Falling back to parsing as a 'Command'" on unsupported syntax; Senate
    reports that as a refused statement instead, so the record never reaches a terminal."""
    log = logging.getLogger("sqlglot")
    if not any(isinstance(f, _DropAll) for f in log.filters):
        log.addFilter(_DropAll())


class _DropAll(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return False


def classify(
    sql: str, dialect: str, storage: Storage | None = None, target_type: str | None = None
) -> SqlReport:
    """Every statement of `sql` with its verdict; `target_type` is the artifact type the
    proposal changes (an UPDATE of other types' artifacts is then destructive)."""
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    read = DIALECTS.get(dialect)
    if read is None:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    quiet_sqlglot()
    ctx = _Context(storage or Storage(), dialect, target_type)
    out: list[Verdict] = []
    for stmt in split_statements(sql):
        try:
            trees = [t for t in sqlglot.parse(stmt.text, read=read)
                     if t is not None and type(t).__name__ != "Semicolon"]
        except ParseError as exc:
            first = exc.errors[0] if exc.errors else {}
            line = stmt.line + int(first.get("line") or 1) - 1
            desc = first.get("description") or str(exc).splitlines()[0]
            out.append(Verdict(line, stmt.text, "refused", f"does not parse ({desc})"))
            continue
        except TokenError as exc:
            out.append(Verdict(stmt.line, stmt.text, "refused", f"does not parse ({exc})"))
            continue
        if len(trees) != 1:
            out.append(Verdict(stmt.line, stmt.text, "refused",
                               "reads as several statements where the engine sees one "
                               "(quoting read two ways)"))
            continue
        kind, reason = _judge(trees[0], ctx)
        out.append(Verdict(stmt.line, stmt.text, kind, reason))
    return SqlReport(tuple(out))


@dataclass(frozen=True)
class _Context:
    storage: Storage
    dialect: str
    target: str | None

    @property
    def artifacts(self) -> str:
        return self.storage.artifacts_table

    @property
    def senate_tables(self) -> tuple[str, str]:
        return (self.storage.registry_table, self.storage.history_table)

    @property
    def tables(self) -> tuple[str, ...]:
        return (self.artifacts, *self.senate_tables)


def _judge(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    from sqlglot import exp

    word = (str(tree.this) if isinstance(tree, exp.Command) else tree.sql()).split(" ")[0].upper()
    if word in TRANSACTION_WORDS or isinstance(tree, exp.Transaction | exp.Commit | exp.Rollback):
        return "refused", "transaction control breaks Senate's one-transaction wrapper"
    if isinstance(tree, exp.Command):
        return "refused", f"Senate cannot read this {word} statement (no known statement kind)"
    if not isinstance(tree, exp.Drop | exp.Create | exp.Alter):
        problem = _outside_tables(tree, ctx) or _impure_call(tree)
        if problem is not None:
            return "refused", problem
    for kind, judge in _JUDGES:
        cls = getattr(exp, kind, None)
        if cls is not None and isinstance(tree, cls):
            return judge(tree, ctx)  # type: ignore[no-any-return]
    return "refused", f"{word} is not a statement Senate allows in a migration"


def _name(node: Any, ctx: _Context) -> str:
    """A table's name as the engine resolves it (unquoted names fold to lower case)."""
    from sqlglot import exp

    ident = node.this if isinstance(node, exp.Table) else node
    text = str(ident.name if hasattr(ident, "name") else ident)
    quoted = isinstance(ident, exp.Identifier) and ident.quoted
    return text if quoted and ctx.dialect == "postgres" else text.lower()


def _outside_tables(tree: Any, ctx: _Context) -> str | None:
    from sqlglot import exp

    ctes = {_name(c.args["alias"].this, ctx) for c in tree.find_all(exp.CTE)
            if c.args.get("alias") is not None}
    for table in tree.find_all(exp.Table):
        if table.args.get("db") is not None or table.args.get("catalog") is not None:
            return (f"names {table.sql()} with a schema or database qualifier "
                    "(Senate runs on the configured storage tables, unqualified)")
        name = _name(table, ctx)
        if name not in ctx.tables and name not in ctes:
            return f"touches {name}, which is not one of the storage tables " \
                f"({', '.join(ctx.tables)})"
    return None


def _impure_call(tree: Any) -> str | None:
    from sqlglot import exp

    for func in tree.find_all(exp.Func):
        if isinstance(func, exp.Anonymous):
            name = str(func.name)
            if name.lower() not in PURE_CALLS:
                return f"calls {name}(), which is not a function Senate knows to be pure"
        elif type(func).__name__ in NOT_PURE_TYPED:
            return f"calls {func.sql_name()}, which changes state"
    return None


def _writes_inside(tree: Any) -> bool:
    from sqlglot import exp

    return any(node is not tree for node in tree.find_all(exp.Delete, exp.Update, exp.Insert,
                                                           exp.Merge))


def _select(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    if tree.args.get("into") is not None:
        return "refused", "SELECT INTO creates a table outside the storage tables"
    if _writes_inside(tree):
        return "refused", "a data-modifying WITH clause hides a write inside a query"
    return "allowed", "reads only"


def _update(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    from sqlglot import exp

    target = _name(tree.this, ctx)
    if target != ctx.artifacts:
        return "refused", f"Senate writes {target} itself; a proposal may not"
    if _writes_inside(tree):
        return "refused", "a data-modifying WITH clause hides a write inside the UPDATE"
    sets = tree.expressions
    if not sets or not all(isinstance(e, exp.EQ) and isinstance(e.this, exp.Column)
                           for e in sets):
        return "refused", "does not parse (UPDATE needs SET column = value)"
    others = [e.this.name for e in sets if e.this.name.lower() != ctx.storage.metadata_column]
    if others:
        return "destructive", (f"sets {', '.join(others)}: only the "
                               f"{ctx.storage.metadata_column} column may be rewritten")
    where = tree.args.get("where")
    if where is None:
        return "destructive", "UPDATE without WHERE rewrites every artifact"
    types = _type_filter(where.this, ctx)
    if types is None:
        return "destructive", (f"its WHERE has no AND term {ctx.storage.type_column} = '...', "
                               "so it may rewrite artifacts of any type")
    stray = sorted(t for t in types if ctx.target is not None and t != ctx.target)
    if stray:
        return "destructive", (f"rewrites artifacts of type {', '.join(stray)}; the "
                               f"proposal changes {ctx.target}")
    return "allowed", f"rewrites the metadata of {', '.join(sorted(types))} artifacts only"


def _type_filter(cond: Any, ctx: _Context) -> set[str] | None:
    """The types a WHERE pins with an AND term `type = 'x'` or `type IN ('x', ...)`."""
    from sqlglot import exp

    terms = list(cond.flatten()) if isinstance(cond, exp.And) else [cond]
    for term in terms:
        while isinstance(term, exp.Paren):
            term = term.this
        col, vals = None, []
        if isinstance(term, exp.EQ):
            col, vals = term.this, [term.expression]
            if not isinstance(col, exp.Column):
                col, vals = term.expression, [term.this]
        elif isinstance(term, exp.In) and not term.args.get("query"):
            col, vals = term.this, list(term.expressions)
        if (isinstance(col, exp.Column) and col.name.lower() == ctx.storage.type_column
                and vals and all(isinstance(v, exp.Literal) and v.is_string for v in vals)):
            return {str(v.this) for v in vals}
    return None


def _insert(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    from sqlglot import exp

    table = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    target = _name(table, ctx)
    if target != ctx.artifacts:
        return "refused", f"Senate writes {target} itself; a proposal may not"
    if _writes_inside(tree):
        return "refused", "a data-modifying WITH clause hides a write inside the INSERT"
    alternative = str(tree.args.get("alternative") or "").upper()
    if alternative and alternative != "IGNORE":
        return "destructive", f"INSERT OR {alternative} deletes or rewrites the artifact " \
            "it collides with"
    conflict = tree.args.get("conflict")
    action = str(conflict.args.get("action") or "").upper() if conflict is not None else ""
    if conflict is not None and (action != "DO NOTHING" or conflict.expressions):
        return "destructive", "ON CONFLICT DO UPDATE overwrites existing artifacts"
    return "allowed", "adds artifacts (the dry run checks them against the new schema)"


def _create(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    from sqlglot import exp

    kind = str(tree.args.get("kind") or "").upper()
    if kind in ("FUNCTION", "PROCEDURE", "TRIGGER", "RULE", "EVENT TRIGGER"):
        return "refused", f"CREATE {kind}: procedural code runs where Senate cannot read it"
    if kind != "INDEX":
        return "refused", f"CREATE {kind} makes an object outside the storage tables"
    if tree.args.get("concurrently"):
        return "refused", "CREATE INDEX CONCURRENTLY cannot run inside Senate's transaction"
    index = tree.this
    table = index.args.get("table") if isinstance(index, exp.Index) else None
    if table is None or _name(table, ctx) != ctx.artifacts:
        return "refused", f"an index is allowed on {ctx.artifacts} only"
    problem = _outside_tables(tree, ctx) or _impure_call(tree)
    return ("refused", problem) if problem else ("allowed", "adds an index")


def _alter(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    from sqlglot import exp

    target = _name(tree.this, ctx)
    if target != ctx.artifacts:
        return "refused", f"Senate alters {target} only itself"
    actions = tree.args.get("actions") or []
    kinds = {type(a).__name__ for a in actions}
    if kinds == {"ColumnDef"}:
        problem = next((p for a in actions
                        if (p := _outside_tables(a, ctx) or _impure_call(a))), None)
        return ("refused", problem) if problem else ("allowed", "adds a column")
    if {"AlterRename", "RenameColumn"} & kinds:
        return "destructive", f"renames {'the table' if 'AlterRename' in kinds else 'a column'}" \
            f" of {target}: everything that reads the old name loses it"
    if any(isinstance(a, exp.Drop) for a in actions):
        return "destructive", f"drops part of {target}, with its data"
    return "destructive", f"changes the structure of {target} (values may be converted or lost)"


def _drop(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    kind = str(tree.args.get("kind") or "").upper()
    cascade = " (CASCADE also drops everything that depends on it)" if tree.args.get(
        "cascade") else ""
    if kind == "INDEX":
        return "destructive", f"DROP INDEX removes an index (and any uniqueness it enforces)" \
            f"{cascade}"
    if kind not in ("TABLE", "VIEW", "MATERIALIZED VIEW"):
        return "refused", f"DROP {kind} reaches past the storage tables"
    names = [_name(t, ctx) for t in tree.args.get("tables") or [tree.this]]
    outside = [n for n in names if n not in ctx.tables]
    if outside:
        return "refused", f"DROP {kind} {', '.join(outside)}: not a storage table"
    return "destructive", f"DROP {kind} {', '.join(names)} destroys it and its rows{cascade}"


def _delete(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    target = _name(tree.this, ctx)
    if target != ctx.artifacts:
        return "refused", f"Senate writes {target} itself; a proposal may not"
    if tree.args.get("where") is None:
        return "destructive", "DELETE without WHERE removes every artifact"
    return "destructive", "DELETE removes artifacts (every DELETE needs unanimity)"


def _truncate(tree: Any, ctx: _Context) -> tuple[Kind, str]:
    names = [_name(t, ctx) for t in tree.expressions]
    return "destructive", f"TRUNCATE {', '.join(names)} removes every row"


_JUDGES: tuple[tuple[str, Any], ...] = (
    ("Select", _select), ("SetOperation", _select), ("Update", _update), ("Insert", _insert),
    ("Create", _create), ("Alter", _alter), ("Drop", _drop), ("Delete", _delete),
    ("TruncateTable", _truncate),
)


def short(text: str, limit: int = 80) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."
