"""Every action, outcome, object type and reason code the server writes into the audit
log has words in the client, in both languages: read from the server's own source, so a
new `audit.record(...)` without words fails here."""
from __future__ import annotations

import ast
import functools
from pathlib import Path

import pytest

from client import audit_words, i18n
from shared.permissions import FIELD_TIERS, Action

SERVER = Path(__file__).resolve().parents[2] / "server"
_CALLS = {"record", "refusal", "insert"}


@functools.cache
def _trees() -> tuple[ast.Module, ...]:
    return tuple(ast.parse(p.read_text(encoding="utf-8")) for p in sorted(SERVER.rglob("*.py")))


def _is_audit_call(node: ast.AST) -> bool:
    """`audit.record(...)` and its kin, and the audit module's own `record(...)` calls."""
    if not isinstance(node, ast.Call):
        return False
    if isinstance(node.func, ast.Name):
        return node.func.id == "record"
    return isinstance(node.func, ast.Attribute) and node.func.attr in _CALLS \
        and isinstance(node.func.value, ast.Name) and node.func.value.id == "audit"


def _audit_calls() -> list[ast.Call]:
    return [n for tree in _trees() for n in ast.walk(tree) if _is_audit_call(n)]  # type: ignore[misc]


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _constants(keyword: str) -> set[str]:
    """The strings given as `keyword=` to the audit calls; where a variable is given, the
    strings its function assigns to it (`reason = "locked" if … else …`)."""
    found: set[str] = set()
    for tree in _trees():
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                continue
            for call in (n for n in ast.walk(fn) if _is_audit_call(n)):
                for k in call.keywords:  # type: ignore[attr-defined]
                    if k.arg != keyword:
                        continue
                    if isinstance(k.value, ast.JoinedStr) and ast.unparse(k.value) == "f'wrong_{password_field}'":
                        # services/auth.py's re-authentication: "wrong_" and the field its callers name
                        found |= {f"wrong_{f}" for f in _keyword_strings("password_field")}
                    elif not isinstance(k.value, ast.Name):  # a string, or strings chosen between
                        found |= _strings(k.value)
                    elif not isinstance(fn, ast.Module):
                        found |= {s for n in ast.walk(fn) if isinstance(n, ast.Assign)
                                  and any(isinstance(t, ast.Name) and t.id == k.value.id for t in n.targets)
                                  for s in _strings(n.value)}
    return found


def _keyword_strings(keyword: str) -> set[str]:
    """The strings given as `keyword=` to any call in the server."""
    return {k.value.value for tree in _trees() for n in ast.walk(tree) if isinstance(n, ast.Call)
            for k in n.keywords if k.arg == keyword and isinstance(k.value, ast.Constant)
            and isinstance(k.value.value, str)}


def written_actions() -> set[str]:
    """The first argument of every audit call: a string, an f-string over an import kind,
    or a permission (a refusal names the action refused)."""
    from server.api.exports import EXPORTABLE
    from server.imports import customers  # noqa: F401  (registers the kinds)
    from server.imports.engine import KINDS
    out: set[str] = {str(a) for a in Action}
    for call in _audit_calls():
        arg = next((a for a in call.args if isinstance(a, ast.JoinedStr)
                    or (isinstance(a, ast.Constant) and isinstance(a.value, str))), None)
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            out.add(arg.value)
        elif isinstance(arg, ast.JoinedStr):
            text = ast.unparse(arg)
            if text == "f'import.{kind_name}'":
                out |= {f"import.{k}" for k in KINDS}
            elif text == "f'{resource}.update'":  # access.authorise_fields: a resource with field tiers
                out |= {f"{r}.update" for r in FIELD_TIERS}
            elif text == "f'{kind.name}.{action}'":  # server/services/finance.py: each statement's changes
                from server.services.finance import BALANCE, INCOME
                out |= {f"{k.name}.{a}" for k in (BALANCE, INCOME) for a in ("create", "update", "delete")}
            elif text == "f'{listed}.export'":  # audit.record_export: every exportable list
                out |= {f"{listed}.export" for listed, _action in EXPORTABLE.values()}
            else:
                raise AssertionError(f"an audit action this test cannot read: {text}")
    return out


def _exported() -> set[str]:
    """What an export's record names as its object (audit.record_export: the list)."""
    from server.api.exports import EXPORTABLE
    from server.services.finance import BALANCE, INCOME
    return {listed for listed, _action in EXPORTABLE.values()} | {BALANCE.name, INCOME.name}


def test_the_scan_finds_the_calls():
    assert {"auth.login", "customer.update", "import.customers"} <= written_actions()
    assert {"customer", "user"} <= _constants("object_type")
    assert {"locked", "wrong_password"} <= _constants("reason")  # assigned, then passed
    assert {"known", "new"} <= _constants("device")


@pytest.mark.parametrize(("written", "words"), [
    (written_actions, audit_words.ACTIONS),
    (lambda: _constants("outcome") | {"success", "denied"}, audit_words.OUTCOMES),  # the defaults
    (lambda: _constants("object_type") | _exported(), audit_words.OBJECTS),
    (lambda: _constants("reason"), audit_words.REASONS),
    (lambda: _constants("via") | _constants("device"), audit_words.VALUES),
    (lambda: _constants("actor_name"), audit_words.ACTORS),
    (lambda: _constants("source") | {"demo"}, audit_words.SOURCES),  # the demo's actors
], ids=["actions", "outcomes", "objects", "reasons", "values", "actors", "sources"])
def test_every_code_the_server_writes_has_words_in_both_languages(qapp, written, words):
    codes = written()
    assert not codes - words.keys(), sorted(codes - words.keys())
    assert i18n.set_language(qapp, "zh_CN")
    try:
        chinese = {c: words[c]() for c in codes}
    finally:
        i18n.set_language(qapp, "en")
    english = {c: words[c]() for c in codes}
    untranslated = sorted(c for c in codes if chinese[c] == english[c] or any("a" <= ch <= "z" for ch in chinese[c]))
    assert not untranslated, untranslated


def test_a_detail_reads_as_words():
    assert audit_words.detail_text('{"fields": ["phone", "address"], "action_needed": "customer.edit"}') == \
        "Fields: Mobile, Address; Needs: Change customer's profile"
    assert audit_words.detail_text('{"version": 3, "file_sha256": "ab"}') == ""  # nothing a reader needs
    assert audit_words.detail_text("not json") == "not json"


def test_an_exports_record_reads_as_words():
    detail = '{"format": "xlsx", "rows": 148, "columns": ["Name", "Mobile"], ' \
             '"filters": {"q": "张", "sort": "-name", "type": "corporate"}}'
    assert audit_words.detail_text(detail) == \
        "Format: XLSX; Rows: 148; Columns: Name, Mobile; Filters: Search text 张, Sorted by Name (descending), " \
        "Type Corporate"
