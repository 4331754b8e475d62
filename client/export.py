"""A list exported to a spreadsheet exactly as the screen shows it: the same columns,
the same words, the same masks (the rows are the server's answer for this reader, their
texts the list's own column functions). Nothing here touches Qt widgets or HTTP: the
pages are fetched through the `ask` the list itself uses, on a worker thread
(client/views/exporting.py), and the file is written here.

A cell that starts like a formula (`=`, `+`, `-`, `@`, tab, carriage return) is written
as text: a customer named `=HYPERLINK(...)` must not become a link in the head office's
Excel (OWASP "CSV injection"). The file appears only when complete: it is written
beside its name and renamed into place."""
from __future__ import annotations

import csv
import os
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Generic, TypeVar

from client.models.rows import more_after
from shared.enums import ExportFormat
from shared.schemas import MAX_EXPORT_ROWS, Page

R = TypeVar("R")
#: A list's own way to ask for a page: (api, page, page_size) -> the page.
Ask = Callable[[Any, int, int], Page[Any]]
#: The largest page the server gives (MAX_PAGE_SIZE): fewest round trips.
EXPORT_PAGE_SIZE = 200
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class TooManyRows(Exception):
    """The list holds more rows than one export may (narrow it first)."""

    def __init__(self, total: int) -> None:
        super().__init__(total)
        self.total = total


class Cancelled(Exception):
    """The user stopped the export: nothing is written or recorded."""


class ExportSource(Generic[R]):
    """What one list offers for export: which list it is (the server's path, for the
    audit record), how to ask for its pages, the filters it is shown with, and its
    columns as (header, text of a row). Headers are taken on the UI thread, in the
    user's language, when the source is made."""

    def __init__(self, listed: str, title: str, ask: Ask, filters: dict[str, str],
                 columns: Sequence[tuple[str, Callable[[R], str]]]) -> None:
        self.listed, self.title, self.ask, self.filters = listed, title, ask, filters
        self.headers = [h for h, _t in columns]
        self.texts = [t for _h, t in columns]

    def collect(self, api: Any, progress: Callable[[int, int], None], cancel: threading.Event) -> list[list[str]]:
        """Every row of the list as its cells' texts, page by page (progress(done, total)
        after each); at most MAX_EXPORT_ROWS."""
        out: list[list[str]] = []
        page_no = 1
        while True:
            if cancel.is_set():
                raise Cancelled
            page = self.ask(api, page_no, EXPORT_PAGE_SIZE)
            if page_no == 1 and page.total > MAX_EXPORT_ROWS:
                raise TooManyRows(page.total)
            out.extend([text(r) for text in self.texts] for r in page.items)
            progress(len(out), max(page.total, len(out)))
            if not page.items or not more_after(page):
                return out
            if len(out) >= MAX_EXPORT_ROWS:
                raise TooManyRows(len(out))
            page_no += 1


def safe_text(text: str) -> str:
    """A cell's text that no spreadsheet reads as a formula."""
    return "'" + text if text.startswith(FORMULA_START) else text


def write(path: Path, fmt: ExportFormat, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """The whole file or none: written to a temporary file beside `path`, then renamed."""
    fd, tmp = tempfile.mkstemp(prefix=".export-", suffix="." + fmt.value, dir=path.parent)
    os.close(fd)
    try:
        if fmt is ExportFormat.CSV:
            _write_csv(Path(tmp), headers, rows)
        else:
            _write_xlsx(Path(tmp), title, headers, rows)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    # UTF-8 with a byte-order mark: Excel on a Chinese Windows opens it as UTF-8, not GBK
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow([safe_text(h) for h in headers])
        w.writerows([safe_text(c) for c in row] for row in rows)


def _write_xlsx(path: Path, title: str, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_sheet_title(title))
    widths = [_width(h) for h in headers]
    for row in rows[:500]:
        widths = [max(w, _width(c)) for w, c in zip(widths, row, strict=False)]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = min(w + 2, 60)
    ws.freeze_panes = "A2"
    bold = Font(bold=True)

    def cell(text: str, header: bool = False) -> Any:
        c = WriteOnlyCell(ws, value=text)
        c.data_type = "s"  # text, always: openpyxl would make "=..." a formula
        if header:
            c.font = bold
        return c
    ws.append([cell(h, header=True) for h in headers])
    for row in rows:
        ws.append([cell(c) for c in row])
    wb.save(path)


def _sheet_title(title: str) -> str:
    """Excel's rules for a sheet's name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join("_" if ch in "[]:*?/\\" else ch for ch in title).strip("'") or "Export"
    return cleaned[:31]


def _width(text: str) -> int:
    """Columns wide enough for their text: a CJK character takes two."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)
