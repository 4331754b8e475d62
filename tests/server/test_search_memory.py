"""The server loads pypinyin without its phrase dictionary (about 45 MB per process):
only single characters are ever looked up, and their readings do not change."""
from __future__ import annotations

import os
import subprocess
import sys

READINGS = """
import hashlib, sys
from pypinyin import Style, pinyin
out = []
for cp in list(range(0x3400, 0x4DC0)) + list(range(0x4E00, 0xA000)):
    got = pinyin(chr(cp), style=Style.NORMAL, heteronym=True, errors="ignore")
    out.append(chr(cp) + ":" + ",".join(got[0] if got else []))
print(hashlib.sha256("\\n".join(out).encode()).hexdigest())
"""


def _run(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    return subprocess.run([sys.executable, "-c", code], env={**clean, **env}, capture_output=True, text=True,
                          check=True, timeout=120).stdout.strip()


def test_every_character_reads_the_same_without_the_phrase_dictionary():
    assert _run(READINGS) == _run(READINGS, PYPINYIN_NO_PHRASES="1", PYPINYIN_NO_DICT_COPY="1")


def test_the_server_does_not_load_the_phrase_dictionary():
    assert _run("import server.search, pypinyin.constants as c; print(len(c.PHRASES_DICT))") == "0"
