"""The proposer's SQL, read before anything runs: syntax errors and destructive statements.

Pure: text in, report out. Each statement is parsed on its own (sqlglot, in the target
dialect) so an error names the line where its statement starts plus the parser's line.
Transaction control is an error: Senate wraps the whole migration in ONE transaction,
and a COMMIT inside it would let half a migration land.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from senate.sqltext import split_statements

DIALECTS = {"sqlite": "sqlite", "postgres": "postgres"}


@dataclass(frozen=True)
class SqlIssue:
    line: int
    statement: str
    message: str

    def describe(self) -> str:
        return f"line {self.line}: {self.message}: {_short(self.statement)}"


@dataclass(frozen=True)
class SqlReport:
    errors: tuple[SqlIssue, ...] = ()
    destructive: tuple[SqlIssue, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.errors


def analyse(sql: str, dialect: str) -> SqlReport:
    import sqlglot
    from sqlglot.errors import ParseError, TokenError

    read = DIALECTS.get(dialect)
    if read is None:
        raise ValueError(f"unknown SQL dialect {dialect!r}")
    errors: list[SqlIssue] = []
    destructive: list[SqlIssue] = []
    for stmt in split_statements(sql):
        try:
            parsed = sqlglot.parse(stmt.text, read=read)
        except ParseError as exc:
            first = exc.errors[0] if exc.errors else {}
            line = stmt.line + int(first.get("line") or 1) - 1
            errors.append(SqlIssue(line, stmt.text, f"syntax error ({_readable(first, exc)})"))
            continue
        except TokenError as exc:
            errors.append(SqlIssue(stmt.line, stmt.text, f"syntax error ({exc})"))
            continue
        for tree in parsed:
            if tree is None:
                continue
            problem = _transaction_control(tree)
            if problem:
                errors.append(SqlIssue(stmt.line, stmt.text, problem))
            reason = _destructive(tree)
            if reason:
                destructive.append(SqlIssue(stmt.line, stmt.text, reason))
    return SqlReport(tuple(errors), tuple(destructive))


# sqlglot names the incomplete node by its Python class; say it in SQL instead.
_MISSING = re.compile(r"Required keyword: '(\w+)' missing for <class '[\w.]*?(\w+)'>")
_OPERAND = {"this": "left-hand side", "expression": "right-hand side"}
_OPERATORS = {"EQ": "=", "NEQ": "<>", "GT": ">", "GTE": ">=", "LT": "<", "LTE": "<=",
              "Add": "+", "Sub": "-", "Mul": "*", "Div": "/", "And": "AND", "Or": "OR",
              "Like": "LIKE", "Is": "IS", "In": "IN", "Between": "BETWEEN", "Not": "NOT"}


def _readable(error: dict[str, object], exc: Exception) -> str:
    description = str(error.get("description") or str(exc).splitlines()[0])
    missing = _MISSING.search(description)
    if missing is None:
        return description
    part, node = missing.groups()
    where = f" near column {error['col']}" if error.get("col") else ""
    if node in _OPERATORS:
        what = f"the {_OPERAND.get(part, 'operand')} of {_OPERATORS[node]} is missing"
    elif node == "Paren":
        what = "nothing between the parentheses"
    else:
        what = f"the {node.upper()} part is incomplete"
    return f"incomplete statement{where}: {what}"


def _transaction_control(tree: object) -> str | None:
    from sqlglot import exp

    if isinstance(tree, exp.Transaction | exp.Commit | exp.Rollback):
        return "transaction control is not allowed: Senate runs the migration in one transaction"
    if isinstance(tree, exp.Update):
        # sqlglot accepts `UPDATE t SET` and `UPDATE t SET x`; no engine does.
        sets = tree.expressions
        if not sets or not all(isinstance(e, exp.EQ) for e in sets):
            return "syntax error (UPDATE needs SET column = value)"
    return None


def _destructive(tree: object) -> str | None:
    """Statements that lose data or structure other artifacts may rely on."""
    from sqlglot import exp

    if isinstance(tree, exp.Drop):
        kind = str(tree.args.get("kind") or "").upper()
        if kind in ("TABLE", "SCHEMA", "DATABASE", "VIEW", "MATERIALIZED VIEW", "COLUMN"):
            return f"DROP {kind} destroys data"
        return None
    if isinstance(tree, exp.TruncateTable):
        return "TRUNCATE deletes every row"
    if isinstance(tree, exp.Delete) and tree.args.get("where") is None:
        return "DELETE without WHERE deletes every row"
    if isinstance(tree, exp.Update) and tree.args.get("where") is None:
        return "UPDATE without WHERE overwrites every row"
    if isinstance(tree, exp.Alter):
        for action in tree.args.get("actions") or []:
            if isinstance(action, exp.Drop):
                kind = str(action.args.get("kind") or "COLUMN").upper()
                return f"ALTER TABLE ... DROP {kind} destroys data"
    return None


def _short(text: str, limit: int = 80) -> str:
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."
