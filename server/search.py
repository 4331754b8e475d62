"""Search keys for customer names (R-202) and how a query is matched against them.

PostgreSQL's pg_trgm cannot index 1-2 character Chinese fragments and LIKE '%x%'
means a sequential scan at 2 million rows, so the application maintains its own keys
in `customer_search_key`, written in the same transaction as the customer. All kinds
of key share one key space, so that any name query is ONE equality lookup on an index
ordered by (key, sort_key): the first page comes off the index without sorting all
matches, and a capped count is an index-only scan.

* every fragment (substring) of the normalised name up to `MAX_FRAGMENT` characters:
  张三丰 gives 张, 三, 丰, 张三, 三丰, 张三丰. A longer query looks up its first
  `MAX_FRAGMENT` characters and is confirmed against the name itself;
* for every reading of the name (heteronyms such as 单 shan/dan, capped): every
  prefix of the full pinyin up to `PINYIN_PREFIX` letters (z, zh, zha … zhangsan),
  the full pinyin cut at each later syllable boundary (zhangsanfeng), and every
  prefix of the initials (z, zs, zsf) — so search-as-you-type narrows letter by letter.

Identifier-shaped queries (digits, customer numbers, credit codes) never reach the
keys: they are exact lookups on their own unique indexes (`is_identifier_query`).
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, pinyin

MAX_FRAGMENT = 6
#: Every prefix of the full pinyin up to this length is a key (typing "z", "zh", "zha"...).
PINYIN_PREFIX = 8
MAX_READINGS = 4
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN_QUERY = re.compile(r"^[a-z]+$")


def normalise_name(name: str) -> str:
    """Width-folded, case-folded, without spaces and the middle dot of minority names."""
    s = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s·•・.\-]+", "", s)


def _reading_combos(name: str) -> list[tuple[str, ...]]:
    """Up to MAX_READINGS readings of a name, each a tuple of syllables (a Chinese name
    only: other scripts are found by their fragments)."""
    chars = list(normalise_name(name))
    if not chars or not any(_CJK.match(c) for c in chars):
        return []
    per_char: list[list[str]] = []
    for c in chars:
        if _CJK.match(c):
            per_char.append(_char_readings(c))
        elif c.isascii() and c.isalnum():
            per_char.append([c])
        else:
            per_char.append([""])
    return list(itertools.islice(itertools.product(*per_char), MAX_READINGS))


def _readings(name: str) -> list[tuple[str, str]]:
    """(full pinyin, initials) for up to MAX_READINGS readings of a name."""
    return [("".join(combo), "".join(s[:1] for s in combo)) for combo in _reading_combos(name)]


@lru_cache(maxsize=65536)
def _char_readings(c: str) -> list[str]:
    options = pinyin(c, style=Style.NORMAL, heteronym=True, errors="ignore")
    syllables = [s for s in (options[0] if options else []) if s.isascii() and s.isalpha()]
    return list(dict.fromkeys(syllables))[:MAX_READINGS] or [""]


def sort_key(name: str) -> str:
    """Pinyin, then the name itself: the order Chinese staff expect."""
    r = _readings(name)
    return (r[0][0] if r else normalise_name(name))[:150] + " " + name[:100]


def keys_for_name(name: str) -> set[str]:
    n = normalise_name(name)
    keys = {n[i:j] for i in range(len(n)) for j in range(i + 1, min(len(n), i + MAX_FRAGMENT) + 1)}
    for syllables in _syllable_readings(name):
        full = "".join(syllables)
        keys.update(full[:i] for i in range(1, min(len(full), PINYIN_PREFIX) + 1))
        cut = ""
        for k, syl in enumerate(syllables):
            cut += syl
            keys.add(cut)
            keys.add("".join(s[:1] for s in syllables[:k + 1]))
    keys.discard("")
    return keys


def _syllable_readings(name: str) -> list[list[str]]:
    return [list(combo) for combo in _reading_combos(name)]


def name_key(q: str) -> tuple[str, bool] | None:
    """The key to look up for a name query, and whether the name must also be checked
    (a query longer than the stored fragments). Pinyin is stored whole, so a Latin
    query is used as it is."""
    n = normalise_name(q)
    if not n:
        return None
    if _LATIN_QUERY.match(n) or len(n) <= MAX_FRAGMENT:
        return n, False
    return n[:MAX_FRAGMENT], True


_IDENTIFIER = re.compile(r"^(?=.*\d)[0-9A-Z]+$")


def is_identifier_query(q: str) -> bool:
    """Resident IDs, phones, customer numbers, credit codes: letters and digits with at
    least one digit. No name looks like that, so these skip the name keys."""
    compact = re.sub(r"[\s\-()+]", "", q).upper()
    return bool(_IDENTIFIER.match(compact))
