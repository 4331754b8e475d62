"""Masking of sensitive identifiers for readers whose scope does not allow the full value."""
from __future__ import annotations

import re


def mask_id_number(v: str | None) -> str | None:
    """First 6 and last 4 characters: 110101********4514."""
    if not v:
        return v
    if len(v) <= 10:
        return "*" * len(v)
    return v[:6] + "*" * (len(v) - 10) + v[-4:]


#: A birth date as a reader of a masked resident ID sees it in text (history): nothing.
MASKED_DATE = "****-**-**"


def mask_phone(v: str | None) -> str | None:
    """First 3 and last 4 digits: 139****5678."""
    if not v:
        return v
    if len(v) <= 7:
        return "*" * len(v)
    return v[:3] + "*" * (len(v) - 7) + v[-4:]


def mask_account(v: str | None) -> str | None:
    """Only the last 4 characters."""
    if not v:
        return v
    return "*" * max(len(v) - 4, 0) + v[-4:]


def is_masked(v: str | None) -> bool:
    return bool(v) and "*" in v  # type: ignore[operator]


#: A run of digits (a resident ID may end in X) long enough to be a phone or an ID.
_IDENTIFIER_RUN = re.compile(r"\d{7,}[Xx]?")


def mask_search_text(text: str) -> str:
    """A search text as a record of it may keep it (an export's filters in the audit
    trail): every run of 7 or more digits masked as a resident ID (15 or 18 long) or a
    mobile number would be, so a typed identifier is not kept whole."""
    def masked(m: re.Match[str]) -> str:
        run = m.group(0)
        return (mask_id_number(run) if len(run) in (15, 18) else mask_phone(run)) or ""
    return _IDENTIFIER_RUN.sub(masked, text)
