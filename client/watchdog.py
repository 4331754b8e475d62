"""A UI-thread watchdog: a timer that should fire every few milliseconds on the UI
thread, and how late it actually fires. Lateness is a stall: for that long the thread
could neither paint nor take a key (a network call or a big computation on the UI
thread shows up here at once). The GUI tests and bench/client_ui.py hold the screens
to no stall over 100 ms; the running client logs a stall long enough for staff to feel."""
from __future__ import annotations

import logging
import time

from PySide6.QtCore import QObject, Qt, QTimer

log = logging.getLogger(__name__)


class UiWatchdog(QObject):
    def __init__(self, interval_ms: int = 5, report_over_ms: float | None = None,
                 parent: QObject | None = None) -> None:
        """`report_over_ms`: log a warning for each stall longer than this."""
        super().__init__(parent)
        self.interval_ms = interval_ms
        self.report_over_ms = report_over_ms
        self.stalls: list[float] = []  # ms late, one per tick that was late
        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._last = 0.0

    def start(self) -> None:
        self.stalls.clear()
        self._last = time.perf_counter()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        late = (now - self._last) * 1000 - self.interval_ms
        self._last = now
        if late > 1:
            self.stalls.append(late)
            if self.report_over_ms is not None and late > self.report_over_ms:
                log.warning("the UI thread stalled for %.0f ms", late)

    @property
    def longest_ms(self) -> float:
        return max(self.stalls, default=0.0)

    def over(self, ms: float) -> list[float]:
        return [s for s in self.stalls if s > ms]
