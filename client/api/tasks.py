"""Run API calls off the UI thread; deliver the result as a signal on the UI thread."""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from client.api.client import ApiError


class Task(QObject):
    """Signals: succeeded(object) with the call's result; failed(object) with an ApiError."""

    succeeded = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[], Any], task: Task) -> None:
        super().__init__()
        self.fn, self.task = fn, task

    def run(self) -> None:
        try:
            result = self.fn()
        except ApiError as exc:
            self.task.failed.emit(exc)
        except Exception as exc:
            self.task.failed.emit(ApiError(0, "client.internal_error", "Unexpected error", repr(exc)))
        else:
            self.task.succeeded.emit(result)


class TaskRunner(QObject):
    """Keeps tasks alive until they finish (signals are queued to the receiver's thread)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.pool = QThreadPool(self)
        self.pool.setMaxThreadCount(4)
        self._live: set[Task] = set()

    def run(self, fn: Callable[[], Any], on_ok: Callable[[Any], object],
            on_error: Callable[[ApiError], object]) -> Task:
        task = Task()
        self._live.add(task)
        task.succeeded.connect(on_ok)
        task.failed.connect(on_error)
        task.succeeded.connect(lambda _r, t=task: self._live.discard(t))
        task.failed.connect(lambda _e, t=task: self._live.discard(t))
        self.pool.start(_Runnable(fn, task))
        return task

    def wait(self, msecs: int = 5000) -> bool:
        return self.pool.waitForDone(msecs)
