"""Search keys for customer names (R-202) and how a query is matched against them.

PostgreSQL's pg_trgm cannot index 1-2 character Chinese fragments and LIKE '%x%'
means a sequential scan at 2 million rows, so the application maintains its own keys
in `customer_search_key`, written in the same transaction as the customer. Customers
are listed "by name" in the order of `sort_code`, an integer packing of the name's
spelling (its primary pinyin), so a name query is answered by at most two ordered
index walks that stop after the first page:

* the keys, one B-tree equality on (key, sort_code, customer_id):
  - every fragment (substring) of the normalised name up to `MAX_FRAGMENT` characters:
    张三丰 gives 张, 三, 丰, 张三, 三丰, 张三丰. A longer query looks up one of its
    fragments and is confirmed against the name itself;
  - the prefixes of two letters or more of the initials (zs, zsf);
  - for a surname read otherwise than its character's first reading (单 dan/shan,
    曾 ceng/zeng, 解 jie/xie: `SURNAME_READINGS`; the given name is read one way only):
    every prefix of that spelling up to `PINYIN_PREFIX` letters, the spelling cut at
    each syllable and its initials;
  - for a name in Latin letters, the same for each later word (John Smith: smith);
* a Latin query also walks the customer's own (sort_code, id) index over the range of
  every spelling that starts with it (`prefix_range`): z, zh, zhangsanf, at any length.

A key that is a prefix of the name's own spelling is never stored: the range walk finds
that customer, so the two walks never return the same customer. On the generator's
names this is 7.0 keys per customer (every reading pypinyin lists for the surname's
character: 9.9; the first version stored every pinyin prefix of every reading of every
character: 19.5).

Identifier-shaped queries (digits, customer numbers, credit codes) never reach the
keys: they are exact lookups on their own unique indexes (`is_identifier_query`).
"""
from __future__ import annotations

import os
import re
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple

# Only single characters' readings are looked up (never phrases): pypinyin's phrase
# dictionary would cost every server process ~45 MB of memory for nothing
# (tests/server/test_search_memory.py shows the readings are the same without it).
os.environ.setdefault("PYPINYIN_NO_PHRASES", "1")
os.environ.setdefault("PYPINYIN_NO_DICT_COPY", "1")
from pypinyin import Style, pinyin  # after the switches above

#: Fragments of the name stored as keys: every substring of 1..3 characters.
MAX_FRAGMENT = 3
#: Every prefix of an alternate spelling up to this length is a key ("s", "sh", "sha"...).
PINYIN_PREFIX = 8
#: How a character reads as a surname, where that is not (only) its first reading.
#: pypinyin lists every reading a character has (王 wang/yu, 吴 wu/tun, 朱 zhu/shu),
#: but a surname is read one way, sometimes not the character's first way (单 is dan
#: in 单独, Shan as a surname). The surnames that staff type otherwise than the first
#: reading are the well-known polyphonic ones, listed here with the readings they take
#: as a surname (compound surnames by their first character: 万俟 mo, 尉迟 yu, 单于
#: chan, 长孙 zhang). A surname keeps its first reading for the name's spelling (its
#: sort code and the range walk); each reading listed here that differs from it is a key.
SURNAME_READINGS: dict[str, tuple[str, ...]] = {
    "单": ("shan", "chan"), "曾": ("zeng",), "解": ("xie",), "查": ("zha",), "区": ("ou",), "仇": ("qiu",),
    "朴": ("piao",), "尉": ("wei", "yu"), "盖": ("ge", "gai"), "乐": ("yue", "le"), "翟": ("zhai",),
    "覃": ("qin", "tan"), "繁": ("po",), "缪": ("miao",), "秘": ("bi",), "种": ("chong",), "召": ("shao",),
    "员": ("yun",), "句": ("gou",), "万": ("wan", "mo"), "长": ("zhang", "chang"), "那": ("na",), "折": ("she",),
    "隗": ("wei", "kui"), "牟": ("mou", "mu"), "能": ("nai",), "洗": ("xian",), "都": ("du",), "重": ("chong",),
    "柏": ("bai", "bo"), "藏": ("zang",), "祭": ("zhai",), "郇": ("xun", "huan"), "粘": ("nian",), "阚": ("kan",),
    "薄": ("bo",), "贲": ("ben", "bi"), "郄": ("qie", "xi"), "乜": ("nie",), "蕃": ("pi", "fan"), "佴": ("nai",),
    "会": ("hui", "kuai"), "奇": ("qi", "ji"), "宓": ("mi", "fu"), "朝": ("chao",), "角": ("jue",),
    "莘": ("shen", "xin"), "蔚": ("yu", "wei"), "澹": ("tan",), "沈": ("shen",), "任": ("ren",), "贾": ("jia",),
    "盛": ("sheng",), "车": ("che",), "宿": ("su",), "眭": ("sui",), "冼": ("xian",), "燕": ("yan",),
}
#: Letters of the spelling packed into `sort_code` (27**13 < 2**63).
SORT_LETTERS = 13
_BASE = 27
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
#: A name of unified ideographs only is its own normal form (the common case, made fast).
_PLAIN_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
_SEPARATORS = re.compile(r"[\s·•・.\-]+")
_LATIN_QUERY = re.compile(r"^[a-z]+$")
_NOT_LETTER = re.compile(r"[^a-z]+")
_PAD = [_BASE ** (SORT_LETTERS - n) for n in range(SORT_LETTERS + 1)]


def normalise_name(name: str) -> str:
    """Width-folded, case-folded, without spaces and the middle dot of minority names."""
    if _PLAIN_CJK.fullmatch(name):
        return name
    s = unicodedata.normalize("NFKC", name).casefold()
    return _SEPARATORS.sub("", s)


#: character -> its first reading, its initial and its other readings as a surname
#: (a-z only; "" when it has none), cached: ~450 characters make almost all names. Three
#: dicts rather than one of records so that a name's spelling is one `join(map(...))` in C.
_PRIMARY: dict[str, str] = {}
_INITIAL: dict[str, str] = {}
_ALTERNATES: dict[str, tuple[str, ...]] = {}


def _learn(chars: str) -> None:
    for c in chars:
        if c in _PRIMARY:
            continue
        if _CJK.match(c):
            options = pinyin(c, style=Style.NORMAL, heteronym=True, errors="ignore")
            first = next((s for s in (options[0] if options else []) if _LATIN_QUERY.match(s)), "")
        else:  # a Latin letter inside a Chinese name reads as itself; digits and marks as nothing
            first = c if "a" <= c <= "z" else ""
        _INITIAL[c], _ALTERNATES[c] = first[:1], tuple(r for r in SURNAME_READINGS.get(c, ()) if r != first)
        _PRIMARY[c] = first


_PACK_DIGITS = bytes.maketrans(b"abcdefghijklmnopqrstuvwxyz", b"123456789abcdefghijklmnopq")


def _pack(spelling: str) -> int:
    """a..z as the base-27 digits 1..q, so that int(..., 27) packs the letters in C."""
    letters = spelling[:SORT_LETTERS]
    return int(letters.encode("ascii").translate(_PACK_DIGITS), _BASE) * _PAD[len(letters)] if letters else 0


def _fragments(n: str) -> set[str]:
    if len(n) == 3:  # 72 % of names
        return {n, n[0], n[1], n[2], n[:2], n[1:]}
    return {n[i:j] for i in range(len(n)) for j in range(i + 1, min(len(n), i + MAX_FRAGMENT) + 1)}


def _spelling_keys(parts: list[str], keys: set[str]) -> None:
    """Typing a spelling made of `parts` (syllables, words): every prefix up to
    PINYIN_PREFIX letters and the whole spelling cut after each part."""
    full = "".join(parts)
    for i in range(1, min(len(full), PINYIN_PREFIX) + 1):
        keys.add(full[:i])
    cut = ""
    for p in parts:
        cut += p
        keys.add(cut)


class IndexEntry(NamedTuple):
    """What the customer row (`sort_code`, `sort_key`) and its key rows carry for a name."""

    sort_code: int
    sort_key: str
    keys: frozenset[str]


def index_entry(name: str) -> IndexEntry:
    """The sort code, sort key and search keys of a name in one pass: the services and
    the bulk importer call this per name, so per-character readings are cached and the
    common case avoids comprehensions (docs/PERFORMANCE.md has its cost)."""
    if _PLAIN_CJK.fullmatch(name):
        n, plain = name, True
    else:
        n, plain = normalise_name(name), False
        if not _CJK.search(n):
            return _latin_entry(name, n)
    try:
        spelling = "".join(map(_PRIMARY.__getitem__, n))
    except KeyError:
        _learn(n)
        spelling = "".join(map(_PRIMARY.__getitem__, n))
    initials = "".join(map(_INITIAL.__getitem__, n))
    keys = _fragments(n)
    if not plain:  # Latin letters in the name: its fragments may spell its start
        keys = {k for k in keys if not spelling.startswith(k)}
    for i in range(2, len(initials) + 1):
        if not spelling.startswith(initials[:i]):
            keys.add(initials[:i])
    alternates = _ALTERNATES[n[0]]  # the surname only
    if alternates:
        syllables = list(map(_PRIMARY.__getitem__, n))
        spelt: set[str] = set()
        for alternate in alternates:
            syllables[0] = alternate
            _spelling_keys(syllables, spelt)
            alt_initials = alternate[:1] + initials[1:]
            for i in range(1, len(alt_initials) + 1):
                spelt.add(alt_initials[:i])
        for k in spelt:
            if not spelling.startswith(k):
                keys.add(k)
    keys.discard("")
    return IndexEntry(_pack(spelling), spelling[:150] + " " + name[:100], frozenset(keys))


def _latin_entry(name: str, n: str) -> IndexEntry:
    """A name in another script: its a-z letters are its spelling; each later word is
    typed like a syllable (John Smith: smith)."""
    words = [w for w in (_NOT_LETTER.sub("", w) for w in _SEPARATORS.split(
        unicodedata.normalize("NFKC", name).casefold())) if w]
    spelling = "".join(words)
    keys = _fragments(n)
    for k in range(1, len(words)):
        _spelling_keys(words[k:], keys)
    keys.discard("")
    return IndexEntry(_pack(spelling), spelling[:150] + " " + name[:100],
                      frozenset([k for k in keys if not spelling.startswith(k)]))


def sort_code(name: str) -> int:
    """Order-preserving packing of the first SORT_LETTERS letters of the spelling into a
    signed 64-bit integer (base 27, a=1 .. z=26, 0 after the end): "name" order."""
    return index_entry(name).sort_code


def sort_key(name: str) -> str:
    """The spelling, then the name itself: confirms a Latin prefix longer than the
    letters `sort_code` holds."""
    return index_entry(name).sort_key


def keys_for_name(name: str) -> set[str]:
    return set(index_entry(name).keys)


def prefix_range(q: str) -> tuple[int, int]:
    """The `sort_code` range of every spelling that starts with the Latin prefix `q`
    (its first SORT_LETTERS letters; a longer `q` is confirmed with `sort_key`)."""
    p = q[:SORT_LETTERS]
    lo = _pack(p)
    return lo, lo + _PAD[len(p)] - 1


@dataclass(frozen=True)
class NameQuery:
    """How a name query is answered: `key` looked up by equality; for a query longer
    than the stored fragments, the text the name must also `contain`; for a Latin query,
    the `prefix` every spelling that starts with it (the range walk) is found by."""

    key: str
    contain: str | None = None
    prefix: str | None = None


def name_query(q: str) -> NameQuery | None:
    n = normalise_name(q)
    if not n:
        return None
    if _LATIN_QUERY.match(n):
        return NameQuery(n, prefix=n)
    if len(n) <= MAX_FRAGMENT:
        return NameQuery(n)
    # a fragment of the query that is not all letters: those that are may be a prefix of
    # the name's spelling, which is not stored
    windows = [n[i:i + MAX_FRAGMENT] for i in range(len(n) - MAX_FRAGMENT + 1)]
    return NameQuery(next((w for w in windows if not _LATIN_QUERY.match(w)), windows[0]), contain=q.strip())


_IDENTIFIER = re.compile(r"^(?=.*\d)[0-9A-Z]+$")
#: what a teller asks a walk-in for: the surname (or the name's start) and the last four
#: digits of the mobile number, "张 5678", "张三5678", "zhang 5678"
_SURNAME_PHONE = re.compile(r"^\s*(?P<name>[^\W\d_]{1,20}?)[\s\-]*(?P<digits>\d{4})\s*$")


class SurnameAndPhone(NamedTuple):
    #: the name's start as typed (Chinese), or its spelling's start (Latin, lower case)
    name: str
    latin: bool
    last4: str


def surname_and_phone(q: str) -> SurnameAndPhone | None:
    """`q` as a surname and the last four digits of a phone, or None. Nothing an exact
    identifier search answers reads so: a customer number is C and digits (so a Latin
    name takes two letters or more), and a resident ID, credit code or phone has more
    than four digits."""
    m = _SURNAME_PHONE.match(q)
    if m is None:
        return None
    name = normalise_name(m.group("name"))
    if _LATIN_QUERY.match(name):
        return SurnameAndPhone(name, True, m.group("digits")) if len(name) >= 2 else None
    if _PLAIN_CJK.fullmatch(name):
        return SurnameAndPhone(name, False, m.group("digits"))
    return None


def is_identifier_query(q: str) -> bool:
    """Resident IDs, phones, customer numbers, credit codes: letters and digits with at
    least one digit. No name looks like that, so these skip the name keys."""
    compact = re.sub(r"[\s\-()+]", "", q).upper()
    return bool(_IDENTIFIER.match(compact))
