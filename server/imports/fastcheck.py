"""The customers file's fast check, run in the import's worker processes on raw lines
while COPY stages them (kept free of heavy imports: each worker imports it).

`plainly_valid` only ever says yes to a row that `customers.judge` — the API's own
rules — accepts with the same values (tests/server/test_import.py proves it on many
valid and broken rows); whatever it does not vouch for is judged by `judge`.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from functools import lru_cache
from operator import mul

from shared.validators import PROVINCE_PREFIXES

COLUMNS = ("core_customer_id", "type", "name", "gender", "birth_date", "id_number", "uscc", "phone", "address",
           "occupation", "employer", "branch_code", "manager_username")
CORE_ID_MAX = 40
#: shared.schemas.CONTROL_CHARACTERS (the same pattern; a test holds them equal).
_CONTROLS = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
CONTROL_CHARACTERS = re.compile(f"[{_CONTROLS}]")

_ID_W = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_W48 = 48 * sum(_ID_W)
_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_VALUE = {c: i for i, c in enumerate(_USCC_ALPHABET)}
_USCC_W = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


@lru_cache(maxsize=4)
def birth_dates(today: date) -> dict[str, str]:
    """YYYYMMDD -> YYYY-MM-DD for every day a resident ID may give as a birth date."""
    out, d, one = {}, date(1900, 1, 1), timedelta(days=1)
    while d <= today:
        iso = d.isoformat()
        out[iso.replace("-", "")] = iso
        d += one
    return out


def plainly_valid(f: Sequence[str], dates: Mapping[str, str]) -> bool:
    """A fast, strict check of a row's 13 raw fields ('' = empty; no control characters)
    that only ever says yes to rows `judge` accepts unchanged but for an `x` → `X` in
    the resident ID; everything else is left to `judge`."""
    core, typ, name, gender, birth, idn, uscc, phone, address, occupation, employer = f[:11]
    if len(core) > CORE_ID_MAX or not name or len(name) > 100 or not name.strip():
        return False
    if phone and not (len(phone) == 11 and phone.isascii() and phone.isdigit() and phone[0] == "1"
                      and phone[1] in "3456789"):
        return False
    for v, n in ((address, 200), (occupation, 60), (employer, 100)):
        if v and (len(v) > n or v != v.strip()):
            return False
    if typ in ("", "personal"):
        if uscc or gender not in ("male", "female") or len(idn) != 18 or not idn.isascii() \
                or not idn[:17].isdigit() or idn[17] not in "0123456789Xx" or idn[:2] not in PROVINCE_PREFIXES \
                or dates.get(idn[6:14]) != birth:
            return False
        b = idn.encode("ascii")
        return _ID_CHECK[(sum(map(mul, b, _ID_W)) - _ID_W48) % 11] == idn[17].upper() and \
            (b[16] & 1) == (gender == "male")
    if typ == "corporate":
        if gender or birth or idn or occupation or employer or len(uscc) != 18 or not uscc[:8].isdigit():
            return False
        try:
            total = sum(_USCC_VALUE[c] * w for c, w in zip(uscc, _USCC_W, strict=False))
            return uscc[17] in _USCC_VALUE and _USCC_ALPHABET[(31 - total) % 31] == uscc[17]
        except KeyError:
            return False
    return False


# A personal row as core systems write it, in one match over a whole chunk of lines: no
# quotes, ASCII digits, the free text without padding (\s and str.strip() agree on what
# whitespace is). What it does not capture (province, dates, check character, gender
# digit) is checked after.
_F = r'[^,"\r\n' + _CONTROLS + ']'  # a field's character: a row with a control character never matches
_EDGE = r'[^,"\s' + _CONTROLS + ']'  # a field's first or last character


def _text(most: int) -> str:
    """Empty, or at most `most` characters neither starting nor ending with whitespace."""
    return r'(?:' + _EDGE + '(?:' + _F + '{0,' + str(most - 2) + '}' + _EDGE + ')?)?'


_PLAIN_PERSON = re.compile(
    r'^(' + _F + r'{0,40}),(?:personal)?,((?=' + _F + '*' + _EDGE + ')' + _F + r'{1,100}),(male|female),'
    r'([0-9]{4}-[0-9]{2}-[0-9]{2}),([0-9]{17}[0-9Xx]),,(?:1[3-9][0-9]{9})?,' + _text(200) + ',' + _text(60) + ','
    + _text(100) + ',' + _F + '*,' + _F + r'*\r?$', re.M)


def _plain_person(gender: str, birth: str, idn: str, dates: Mapping[str, str]) -> bool:
    date8 = idn[6:14]
    if dates.get(date8) != birth or idn[:2] not in PROVINCE_PREFIXES:
        return False
    area = _AREA_SUM.get(idn[:6])
    if area is None:
        area = _AREA_SUM[idn[:6]] = sum(map(mul, idn[:6].encode("ascii"), _ID_W)) - 48 * sum(_ID_W[:6])
    total = area + _DATE_SUM[date8] + _SEQ_SUM[idn[14:17]]
    return _ID_CHECK[total % 11] == idn[17].upper() and (ord(idn[16]) & 1) == (gender == "male")


# the check character's weighted sum in three parts: area code (cached as met), birth
# date, sequence number — three lookups instead of seventeen multiplications
_AREA_SUM: dict[str, int] = {}
_SEQ_SUM = {f"{i:03d}": sum(int(c) * w for c, w in zip(f"{i:03d}", _ID_W[14:], strict=True)) for i in range(1000)}


class _DateSums(dict[str, int]):
    def __missing__(self, date8: str) -> int:
        value = self[date8] = sum(int(c) * w for c, w in zip(date8, _ID_W[6:14], strict=True))
        return value


_DATE_SUM = _DateSums()


def slow_lines(start_line: int, chunk: bytes, today: date) -> list[int]:
    """The lines of a chunk of raw CSV lines ending in a line break (the first is
    `start_line`) that `plainly_valid` does not vouch for."""
    return scan_lines(start_line, chunk, today)[0]


def _slow_plain(start_line: int, found: list[tuple[str, str, str, str, str]], dates: Mapping[str, str]) -> list[int]:
    """The rows `_PLAIN_PERSON` matched whose date, province, check character or gender
    digit is wrong (`_plain_person` inlined: this runs for every row of a big file)."""
    area_sum, date_sum, seq_sum, check = _AREA_SUM, _DATE_SUM, _SEQ_SUM, _ID_CHECK
    out = []
    for i, (_core, _name, gender, birth, idn) in enumerate(found):
        date8 = idn[6:14]
        area = area_sum.get(idn[:6])
        if area is None or dates.get(date8) != birth:
            if not _plain_person(gender, birth, idn, dates):
                out.append(start_line + i)
        elif check[(area + date_sum[date8] + seq_sum[idn[14:17]]) % 11] != idn[17].upper() \
                or (ord(idn[16]) & 1) != (gender == "male"):
            out.append(start_line + i)
    return out


# (core id, name, resident ID, credit code) of a line whose first seven fields are
# unquoted. A line it misses is one the fast check sends to `judge`, which notes that
# row's name and identifiers then: every row applied has its name in the name table.
_KEYS_IN_LINE = re.compile("^(" + _F + "*)," + _F + "*,(" + _F + "*)," + _F + "*," + _F + "*,(" + _F + "*),("
                           + _F + "*),", re.M)


#: What `scan_lines` finds in a chunk: the lines `plainly_valid` does not vouch for, then
#: the core ids, names, resident IDs (upper case) and credit codes of its plain lines,
#: each joined by line breaks (none of them holds one): cheap to send between processes.
Scanned = tuple[list[int], str, str, str, str]
_NOTHING: Scanned = ([], "", "", "", "")


def scan_lines(start_line: int, chunk: bytes, today: date) -> Scanned:
    """A chunk of raw lines on its way into COPY, in a worker process for a big file.
    Where every line is a plain personal row (the core system's usual file), one match
    over the chunk finds both what the check needs and what the main process collects."""
    dates = birth_dates(today)
    try:
        text = chunk.decode("utf-8")
    except UnicodeDecodeError:
        return _NOTHING  # COPY refuses the file; it is then read row by row
    found = _PLAIN_PERSON.findall(text)  # a field with a control character does not match
    if len(found) == text.count("\n"):
        return (_slow_plain(start_line, found, dates), "\n".join([f[0] for f in found]),
                "\n".join([f[1] for f in found]), "\n".join([f[4] for f in found]).upper(), "")
    controls = CONTROL_CHARACTERS.search(text) is not None
    slow = []
    n = len(COLUMNS)
    lines = text.split("\n")
    lines.pop()
    for i, line in enumerate(lines):
        if line.endswith("\r"):
            line = line[:-1]
        if '"' in line or (controls and CONTROL_CHARACTERS.search(line)):
            slow.append(start_line + i)
            continue
        f = line.split(",")
        if len(f) != n or not plainly_valid(f, dates):
            slow.append(start_line + i)
    keys = _KEYS_IN_LINE.findall(text)
    return (slow, "\n".join([k[0] for k in keys]), "\n".join([k[1] for k in keys]),
            "\n".join([k[2] for k in keys]).upper(), "\n".join([k[3] for k in keys]))
