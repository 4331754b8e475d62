"""Export a list to XLSX or CSV off the UI thread, with progress and a Cancel button.

The list offers an `ExportSource` (client/export.py: its columns as the screen shows
them and its own way to ask for pages). On a worker thread every page is fetched, the
export is put on the audit trail (the server records it before the file exists: no
file without its record) and the file is written whole or not at all."""
from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from client import export
from client.api.client import ApiError
from client.i18n import error_message, tr
from shared.enums import ExportFormat
from shared.schemas import MAX_EXPORT_ROWS, ExportRecord

if TYPE_CHECKING:
    from client.app import Controller


class ExportRun(QObject):
    """Signals: progressed(done, total); finished(rows) once the file is in place;
    failed(message) in the user's language (nothing written)."""

    progressed = Signal(int, int)
    finished = Signal(int)
    failed = Signal(str)

    def __init__(self, controller: Controller, source: export.ExportSource[Any], path: Path, fmt: ExportFormat,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.controller, self.source, self.path, self.fmt = controller, source, path, fmt
        self._cancel = threading.Event()
        self.done = False

    def start(self) -> None:
        self.controller.call(self._work, self._finished, self._failed, owner=self)

    def cancel(self) -> None:
        self._cancel.set()

    def _work(self, api: Any) -> int:  # on the worker thread
        source = self.source
        try:
            rows = source.collect(api, self.progressed.emit, self._cancel)
        except export.TooManyRows:
            raise ApiError(0, "export.too_many_rows") from None
        except export.Cancelled:
            raise ApiError(0, "export.cancelled") from None
        if self._cancel.is_set():
            raise ApiError(0, "export.cancelled")
        api.record_export(source.listed, ExportRecord(format=self.fmt, rows=len(rows), columns=source.headers,
                                                      filters=source.filters))
        try:
            export.write(self.path, self.fmt, source.title, source.headers, rows)
        except OSError as exc:
            raise ApiError(0, "export.write_failed", detail=str(exc)) from None
        return len(rows)

    def _finished(self, rows: int) -> None:
        self.done = True
        self.finished.emit(rows)

    def _failed(self, err: ApiError) -> None:
        self.done = True
        text = error_message(err.code, err.detail)
        if err.code == "export.too_many_rows":
            text += " " + tr("(at most %1 rows)").replace("%1", f"{MAX_EXPORT_ROWS:,}")
        elif err.code == "export.write_failed" and err.detail:
            text += f": {err.detail}"
        self.failed.emit(text)


def export_format(path: str) -> ExportFormat:
    return ExportFormat.CSV if path.lower().endswith(".csv") else ExportFormat.XLSX


def ask_export_path(parent: QWidget, title: str) -> tuple[Path, ExportFormat] | None:
    """The file to write, with the format its type filter (or its name) says."""
    xlsx, csv = tr("Excel workbook (*.xlsx)"), tr("CSV, UTF-8 (*.csv)")
    path, chosen = QFileDialog.getSaveFileName(parent, tr("Export list"), f"{title}.xlsx", f"{xlsx};;{csv}")
    if not path:
        return None
    fmt = ExportFormat.CSV if chosen == csv or path.lower().endswith(".csv") else ExportFormat.XLSX
    if not path.lower().endswith("." + fmt.value):
        path += "." + fmt.value
    return Path(path), fmt


def run_with_progress(controller: Controller, source: export.ExportSource[Any], path: Path, fmt: ExportFormat,
                      parent: QWidget, report: Any) -> ExportRun:
    """Start the export with a progress dialog (Cancel stops it); `report(text)` says
    how it ended (the window's status bar)."""
    run = ExportRun(controller, source, path, fmt, parent)
    dialog = QProgressDialog(tr("Exporting %1...").replace("%1", source.title), tr("Cancel"), 0, 0, parent)
    dialog.setWindowTitle(tr("Export list"))
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.setMinimumDuration(400)  # a branch's list is done before the dialog would show
    dialog.canceled.connect(run.cancel)

    def moved(done: int, total: int) -> None:
        dialog.setMaximum(total)
        dialog.setValue(done)
    run.progressed.connect(moved)
    run.finished.connect(lambda rows: report(tr("%1 rows exported to %2").replace("%1", f"{rows:,}")
                                             .replace("%2", str(path))))
    run.failed.connect(report)
    for signal in (run.finished, run.failed):
        signal.connect(lambda *_a: dialog.reset())
    run.start()
    return run
