"""Search keys for customer names (R-202) and how a query is matched against them.

PostgreSQL's pg_trgm cannot index 1-2 character Chinese fragments and LIKE '%x%'
means a sequential scan at 2 million rows, so the application maintains its own keys
in `customer_search_key`, written in the same transaction as the customer:

* `n:<fragment>` for every fragment (substring) of the normalised name up to
  `MAX_FRAGMENT` characters: a 3-character name gives 6 keys. A query of that length
  or less is one equality lookup; a longer one looks up its first `MAX_FRAGMENT`
  characters and confirms with the name itself.
* `p:<full pinyin>` and `i:<initials>` for every reading of the name (heteronyms,
  capped): "zhangsanfeng" and "zsf" for 张三丰. A Latin query is a prefix range scan
  over these keys ("zhangs" finds 张三丰), served by the same B-tree because the key
  column has byte-wise collation.
"""
from __future__ import annotations

import itertools
import re
import unicodedata
from functools import lru_cache

from pypinyin import Style, pinyin

MAX_FRAGMENT = 6
MAX_READINGS = 4
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_LATIN_QUERY = re.compile(r"^[a-z]+$")


def normalise_name(name: str) -> str:
    """Width-folded, case-folded, without spaces and the middle dot of minority names."""
    s = unicodedata.normalize("NFKC", name).casefold()
    return re.sub(r"[\s·•・.\-]+", "", s)


def _readings(name: str) -> list[tuple[str, str]]:
    """(full pinyin, initials) for up to MAX_READINGS readings of a name."""
    chars = [c for c in normalise_name(name)]
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
    out: list[tuple[str, str]] = []
    for combo in itertools.islice(itertools.product(*per_char), MAX_READINGS):
        out.append(("".join(combo), "".join(s[:1] for s in combo)))
    return out


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
    keys = {f"n:{n[i:j]}" for i in range(len(n)) for j in range(i + 1, min(len(n), i + MAX_FRAGMENT) + 1)}
    for full, initials in _readings(name):
        if full:
            keys.add(f"p:{full}")
        if initials:
            keys.add(f"i:{initials}")
    return keys


def name_fragment_key(q: str) -> tuple[str, bool] | None:
    """The `n:` key to look up for a query and whether the name must also be checked."""
    n = normalise_name(q)
    if not n:
        return None
    return f"n:{n[:MAX_FRAGMENT]}", len(n) > MAX_FRAGMENT


def pinyin_prefix(q: str) -> str | None:
    """A lower-case Latin query, usable as a pinyin prefix."""
    n = normalise_name(q)
    return n if _LATIN_QUERY.match(n) else None


def prefix_upper_bound(prefix: str) -> str:
    """The smallest string greater than every string starting with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
