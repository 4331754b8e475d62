"""Every problem code and field-error code the server can send has words in both
languages (issue 13): the codes are read from the source of `shared/` (the codes both
sides share) and `server/` (where the rest are raised), so a new code without words
fails here — the screens would otherwise show `customer.foo.bar` to a teller."""
from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

import pytest

from client import i18n
from shared import errors as codes

ROOT = Path(__file__).resolve().parents[2]
CODE = re.compile(r"^[a-z_]+(\.[a-z_0-9]+)+$")
#: calls whose argument at this position (or `code=`) is an error code
_CODE_ARGS = {"FieldError": 1, "PydanticCustomError": 0, "Problem": 1, "conflict": 0, "unauthorized": 0}


@functools.cache
def _sources() -> tuple[tuple[Path, ast.Module], ...]:
    return tuple((p, ast.parse(p.read_text(encoding="utf-8")))
                 for root in ("shared", "server") for p in sorted((ROOT / root).rglob("*.py")))


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)
            and CODE.match(n.value)}


def _constant(node: ast.AST) -> set[str]:
    """`codes.NAME` as its value; literals (and literals chosen between) as themselves."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "codes":
        return {getattr(codes, node.attr)}
    found = _strings(node)
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute) and isinstance(n.value, ast.Name) and n.value.id == "codes":
            found.add(getattr(codes, n.attr))
    return found


def sent_codes() -> set[str]:
    """Every code the server can put in an answer's `code` or in an error's `code`."""
    found = {v for k, v in vars(codes).items() if k.isupper() and isinstance(v, str)}
    for path, tree in _sources():
        # codes named as module constants (a parameter's rule, an import's reject, a job's failure)
        found |= {n.value.value for n in tree.body if isinstance(n, ast.Assign)
                  and all(isinstance(t, ast.Name) and t.id.isupper() for t in n.targets)
                  and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
                  and CODE.match(n.value.value)}
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Module)):
                continue
            for n in ast.walk(fn):
                if isinstance(n, ast.Call):
                    name = n.func.attr if isinstance(n.func, ast.Attribute) else getattr(n.func, "id", "")
                    at = _CODE_ARGS.get(name)
                    if at is None:
                        continue
                    arg = n.args[at] if len(n.args) > at else next((k.value for k in n.keywords if k.arg == "code"),
                                                                     None)
                    if isinstance(arg, ast.Name) and arg.id == "code":  # `code = "a" if … else "b"`, then passed
                        found |= {s for a in ast.walk(fn) if isinstance(a, ast.Assign)
                                  and any(isinstance(t, ast.Name) and t.id == "code" for t in a.targets)
                                  for s in _constant(a.value)}
                    elif arg is not None:
                        found |= _constant(arg)
        if path.name == "errors.py" and path.parent.name == "server":  # pydantic's error types -> codes
            found |= {s for n in ast.walk(tree) if isinstance(n, ast.Dict) for v in n.values for s in _constant(v)}
    import importlib

    from server.services import archive, jobs, mfa
    from shared.permissions import APPROVAL_KINDS
    for module in jobs.HANDLER_MODULES:  # registers every job kind
        importlib.import_module(module)
    # a job's or an approval's kind is a name, not an error; nor are the associated data
    # of sealed values or the fields of blind indexes
    names = {mfa.SECRET_FIELD, mfa.DEVICE_FIELD, archive.SNAPSHOT_FIELD, archive.ID_NUMBER_FIELD, archive.USCC_FIELD}
    return found - set(jobs._HANDLERS) - set(APPROVAL_KINDS) - names


def test_the_scan_finds_the_codes():
    found = sent_codes()
    assert {"customer.id_number.checksum", "customer.uscc.checksum", "customer.uscc.format",  # shared
            "idempotency.key_reused", "customer.org_id.out_of_scope", "password.unchanged",  # server
            "field.invalid_integer", "request.too_large",
            "parameter.ratio_ranges.min_above_max", "import.file.header", "job.abandoned"} <= found
    assert not {c for c in found if not CODE.match(c)}


@pytest.mark.parametrize("lang", ["en", "zh_CN"])
def test_every_code_the_server_sends_has_words(qapp, lang):
    found = sent_codes()
    assert i18n.set_language(qapp, lang)
    try:
        words = {c: i18n.error_message(c) for c in found}
    finally:
        i18n.set_language(qapp, "en")
    missing = sorted(c for c, w in words.items() if w == c)
    assert not missing, missing
    if lang == "zh_CN":  # in Chinese, not English
        # the names of file formats and of the file's own trailer keyword stay as they are
        english = sorted(c for c, w in words.items()
                         if re.search(r"[A-Za-z]{3,}", re.sub(r"UTF-8|CSV|TRAILER", "", w)))
        assert not english, english
