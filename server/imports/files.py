"""Reading a file from the core banking system (domain/risk-and-import.md): CSV in UTF-8,
a header row naming the columns, the data rows, and a trailer `TRAILER,<rows>,<sum>` as
the last row. Line numbers count physical lines from 1 (the header).

Two ways through the data: `raw_chunks` hands the data rows on as they are (for
PostgreSQL's COPY, which parses the CSV itself: nothing per row in Python), and
`records` parses them here, one record at a time, and tells which records are
malformed (for SQLite, and for PostgreSQL when COPY refused the file's data).
"""
from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

# Why a whole file is refused (a batch's `error_code`).
HEADER = "import.file.header"
ENCODING = "import.file.encoding"
TRAILER_MISSING = "import.file.trailer_missing"
TRAILER_MISMATCH = "import.file.trailer_mismatch"
FORMAT = "import.file.format"
#: A data row without exactly the header's number of fields (a row reject).
ROW_COLUMNS = "import.row.columns"

_CHUNK = 1 << 22
_HEADER_MAX = 1 << 16


class FileRefused(Exception):
    """The file as a whole is unusable: nothing of it is applied."""

    def __init__(self, code: str, message: str, line: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code, self.message, self.line = code, message, line


@dataclass(frozen=True)
class Trailer:
    line: int
    rows: int
    amount: Decimal


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


class SourceFile:
    """One file of `columns`; `check_header` first, then one of the two readers, then
    `trailer`."""

    def __init__(self, path: Path, columns: Sequence[str]) -> None:
        self.path = path
        self.columns = tuple(columns)
        self.size = path.stat().st_size
        self.sha256: str | None = None
        self._header_bytes = 0
        self._trailer_text: str | None = None
        self._trailer_line = 0
        #: Physical lines of the data rows seen by `raw_chunks`.
        self.data_lines = 0
        #: Bytes of the file read so far (progress).
        self.bytes_read = 0

    def check_header(self) -> None:
        with open(self.path, "rb") as f:
            first = f.readline(_HEADER_MAX)
        self._header_bytes = len(first)
        try:
            line = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise FileRefused(ENCODING, "The file is not UTF-8", 1) from None
        names = next(csv.reader([line.rstrip("\r\n")]), [])
        if [n.strip().lower() for n in names] != list(self.columns):
            raise FileRefused(HEADER, "The header row must name the columns " + ",".join(self.columns), 1)

    # ------------------------------------------------------------------ as they are
    def raw_chunks(self) -> Iterator[bytes]:
        """The data rows' bytes in chunks that end at a line break; the last line (the
        trailer) is held back for `trailer`."""
        h = hashlib.sha256()
        self.data_lines = 0
        with open(self.path, "rb") as f:
            head = f.read(self._header_bytes)
            h.update(head)
            self.bytes_read = len(head)
            pending = b""
            while chunk := f.read(_CHUNK):
                h.update(chunk)
                self.bytes_read += len(chunk)
                data = pending + chunk
                cut = data.rstrip(b"\r\n").rfind(b"\n")
                if cut < 0:
                    pending = data
                    continue
                out, pending = data[:cut + 1], data[cut + 1:]
                self.data_lines += out.count(b"\n")
                yield out
        self.sha256 = h.hexdigest()
        self._trailer_line = 1 + self.data_lines + 1
        try:
            self._trailer_text = pending.decode("utf-8").strip("\r\n")
        except UnicodeDecodeError:
            raise FileRefused(ENCODING, "The file is not UTF-8", self._trailer_line) from None

    # ------------------------------------------------------------------ parsed
    def records(self) -> Iterator[tuple[int, list[str]]]:
        """(line, fields) of every data row, blank lines skipped; a row's field count is
        the caller's to check. The last row (the trailer) is held back for `trailer`."""
        self.sha256 = sha256_of(self.path)
        last = 1
        try:
            with open(self.path, encoding="utf-8-sig", newline="") as f:
                buffer: Any = f.buffer
                reader = csv.reader(f)
                next(reader, None)
                held: tuple[int, list[str]] | None = None
                for fields in reader:
                    start, last = last + 1, reader.line_num
                    if reader.line_num % 4096 == 0:
                        self.bytes_read = buffer.tell()
                    if not fields:
                        continue
                    if held is not None:
                        yield held
                    held = (start, fields)
        except UnicodeDecodeError:
            raise FileRefused(ENCODING, "The file is not UTF-8", last + 1) from None
        except csv.Error as exc:
            raise FileRefused(FORMAT, f"The file is not CSV: {exc}", last + 1) from None
        if held is None:
            self._trailer_text, self._trailer_line = None, last + 1
        else:
            self._trailer_line, fields = held
            self._trailer_text = ",".join(fields) if fields and fields[0] == "TRAILER" else "\x00"

    # ------------------------------------------------------------------ the trailer
    def trailer(self) -> Trailer:
        text = self._trailer_text
        line = self._trailer_line
        parts = [p.strip() for p in text.split(",")] if text else []
        if len(parts) != 3 or parts[0] != "TRAILER":
            raise FileRefused(TRAILER_MISSING, "The last row must be the trailer TRAILER,<rows>,<sum>", line)
        try:
            rows, amount = int(parts[1]), Decimal(parts[2])
        except (ValueError, InvalidOperation):
            raise FileRefused(TRAILER_MISSING, "The trailer's control totals are not numbers", line) from None
        if rows < 0 or not amount.is_finite():
            raise FileRefused(TRAILER_MISSING, "The trailer's control totals are not numbers", line)
        return Trailer(line, rows, amount)
