"""Logging that never writes personal data (N-1).

Three layers, so that a mistake in one is caught by the next:
1. the engine is created with `hide_parameters=True` (server/db.py), so SQL errors
   carry the statement but not its values;
2. the access log (server/middleware.py) writes the path and the *names* of query
   parameters, never their values (`GET /api/v1/customers?q,page 200 3.1ms`);
3. every handler formats through `RedactingFormatter`, which masks what looks like a
   resident ID, a mobile number or a credit code anywhere in a line or a traceback
   (PostgreSQL's "Key (id_number)=(…) already exists" detail, an exception message).

And one event is one line, whatever a message, a username or an exception holds
(OWASP's log injection): line breaks and other control characters are written as
escapes (a backslash and `n`, `x1b`), a traceback included, so no input can forge a second entry.
"""
from __future__ import annotations

import logging
import re

from shared.masking import mask_id_number, mask_phone

# A resident ID (18 characters, a plausible birth date inside) and a mainland mobile,
# not inside a longer run of digits.
_RESIDENT_ID = re.compile(r"(?<![0-9A-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])"
                          r"\d{3}[0-9Xx](?![0-9A-Za-z])")
_MOBILE = re.compile(r"(?<![0-9])(?:\+?86)?1[3-9]\d{9}(?![0-9])")
_CREDIT_CODE = re.compile(r"(?<![0-9A-Z])[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}(?![0-9A-Z])")


def redact(text: str) -> str:
    text = _RESIDENT_ID.sub(lambda m: mask_id_number(m.group()) or "", text)
    text = _CREDIT_CODE.sub(lambda m: m.group()[:4] + "*" * 14, text)
    return _MOBILE.sub(lambda m: mask_phone(m.group()[-11:]) or "", text)


#: Every character that could end a line or fool a terminal: C0 and C1 controls (tab
#: kept), DEL, and Unicode's line and paragraph separators.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f-\x9f\u2028\u2029]")
_ESCAPES = {"\n": "\\n", "\r": "\\r"}


def one_line(text: str) -> str:
    """`text` with its line breaks and control characters escaped: one line, always."""
    return _CONTROL.sub(lambda m: _ESCAPES.get(m.group(), f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                                else f"\\u{ord(m.group()):04x}"), text)


class RedactingFormatter(logging.Formatter):
    """The whole formatted record (message, traceback, stack) passes through `redact`,
    then becomes one line (`one_line`)."""

    def format(self, record: logging.LogRecord) -> str:
        return one_line(redact(super().format(record)))


FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure(level: int = logging.INFO) -> None:
    """Root logging for the server's processes: one stderr handler, redacting."""
    handler = logging.StreamHandler()
    handler.setFormatter(RedactingFormatter(FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # uvicorn's own loggers propagate to the root (serve passes log_config=None)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
