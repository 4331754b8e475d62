#!/usr/bin/env python3
"""Extract every `tr("...")` of the client into resources/translations/crm_zh_CN.ts,
keeping the translations already there, then compile crm_zh_CN.qm with pyside6-lrelease.

    .venv/bin/python scripts/update_translations.py

The client uses one translation context ("crm") through `client.i18n.tr`, which
pyside6-lupdate cannot see through, hence this extractor. New strings are added as
unfinished; the script fails when any translation is missing, so none ships untranslated.
"""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TS = ROOT / "resources" / "translations" / "crm_zh_CN.ts"


Message = tuple[str, str | None]  # (source, disambiguation)


def extract() -> list[Message]:
    """Every `tr("text")` and `tr("text", "disambiguation")` of the client."""
    found: list[Message] = []
    for path in sorted((ROOT / "client").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                continue
            second = node.args[1] if len(node.args) > 1 else None
            comment = second.value if isinstance(second, ast.Constant) and isinstance(second.value, str) else None
            if (node.args[0].value, comment) not in found:
                found.append((node.args[0].value, comment))
    return found


def existing() -> dict[Message, str]:
    if not TS.exists():
        return {}
    out = {}
    for msg in ET.parse(TS).getroot().iter("message"):
        src, tr = msg.findtext("source"), msg.find("translation")
        if src is not None and tr is not None and tr.text and tr.get("type") != "unfinished":
            out[(src, msg.findtext("comment"))] = tr.text
    return out


def write(sources: list[Message], translations: dict[Message, str]) -> list[Message]:
    ts = ET.Element("TS", version="2.1", language="zh_CN")
    ctx = ET.SubElement(ts, "context")
    ET.SubElement(ctx, "name").text = "crm"
    missing = []
    for s in sources:
        msg = ET.SubElement(ctx, "message")
        ET.SubElement(msg, "source").text = s[0]
        if s[1] is not None:
            ET.SubElement(msg, "comment").text = s[1]
        t = ET.SubElement(msg, "translation")
        if s in translations:
            t.text = translations[s]
        else:
            t.set("type", "unfinished")
            missing.append(s)
    ET.indent(ts)
    TS.write_text('<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n' + ET.tostring(ts, encoding="unicode")
                  + "\n", encoding="utf-8")
    return missing


def main() -> int:
    sources = extract()
    missing = write(sources, existing())
    lrelease = shutil.which("pyside6-lrelease") or str(Path(sys.executable).with_name("pyside6-lrelease"))
    subprocess.run([lrelease, "-silent", str(TS), "-qm", str(TS.with_suffix(".qm"))], check=True)
    print(f"{len(sources)} strings, {len(missing)} untranslated")
    for text, comment in missing:
        print("  untranslated:", text, f"({comment})" if comment else "")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
