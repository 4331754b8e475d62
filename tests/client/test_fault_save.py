"""The connection lost in the middle of a save (issue 15, "Nothing lost"): real widgets,
the real embedded server, and a TCP proxy of the test's own between them.

The proxy forwards the save (PATCH /api/v1/customers/{id}), lets the server commit and
answer, and then drops the client's connection before a byte of the answer reaches it:
the change is done, the client never heard. The customer form must keep the edited
input, must not say "Saved", and its retry (the user presses Save again: the client
does not retry a write on its own) must carry the SAME Idempotency-Key and the same
body, so the server replays its first answer instead of changing the customer again;
"Saved" appears only once that answer has arrived (the proxy holds it back to show
it), and the history shows the change exactly once.

Control: a proxy that drops the save BEFORE forwarding it: the server has no change
until the retry, which then makes it (once, not a replay).
"""
from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from client.views.customer_form import CustomerProfileForm
from shared.enums import CustomerSort, CustomerType
from shared.schemas import CustomerQuery
from tests.client.conftest import api_as, controller_for

Cut = Literal["after", "before"]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    #: the server's answer as the proxy received it (None: never forwarded)
    status: int | None = None
    response_headers: dict[str, str] = field(default_factory=dict)
    #: when the proxy passed the answer on to the client (None: it did not)
    relayed_at: float | None = None


def _read_message(f: Any) -> tuple[bytes, str, dict[str, str], bytes] | None:
    """One HTTP/1.1 message from a buffered socket file: (head, first line, headers, body)."""
    head = b""
    while not head.endswith(b"\r\n\r\n"):
        line = f.readline()
        if not line:
            return None
        head += line
    first, *rest = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in rest if h)}
    if "chunked" not in headers.get("transfer-encoding", ""):
        return head, first, headers, f.read(int(headers.get("content-length", "0")))
    body = b""  # as sent (a replayed answer comes chunked: server/idempotency.py sends no length)
    while True:
        size = f.readline()
        body += size
        n = int(size.split(b";")[0], 16)
        body += f.read(n + 2)
        if n == 0:
            return head, first, headers, body


class SaveCutter:
    """A TCP proxy in front of the server. The first request for which `matches` is true
    is cut: `after` — forwarded, answered by the server (it has committed: the answer
    leaves only after the commit, server/api/deps.py), and the client's connection then
    closed without the answer; `before` — the connection closed, nothing forwarded.
    Every other request passes; while `hold` is clear, answers to matching requests
    wait before they are relayed."""

    def __init__(self, upstream: str, cut: Cut, matches: Any) -> None:
        host, port = upstream.removeprefix("http://").split(":")
        self.upstream = (host, int(port))
        self.cut, self.matches = cut, matches
        self.cuts_left = 1
        self.seen: list[Seen] = []
        self.hold = threading.Event()
        self.hold.set()
        self.lock = threading.Lock()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def saves(self) -> list[Seen]:
        with self.lock:
            return [s for s in self.seen if self.matches(s.method, s.path)]

    def close(self) -> None:
        self.listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        server = socket.create_connection(self.upstream)
        cf, sf = client.makefile("rb"), server.makefile("rb")
        try:
            while (request := _read_message(cf)) is not None:
                head, first, headers, body = request
                method, path, _version = first.split(" ", 2)
                seen = Seen(method, path, headers, body)
                matching = self.matches(method, path)
                with self.lock:
                    self.seen.append(seen)
                    cut = matching and self.cuts_left > 0
                    self.cuts_left -= 1 if cut else 0
                if cut and self.cut == "before":
                    return
                server.sendall(head + body)
                answer = _read_message(sf)
                assert answer is not None, "the server closed the connection"
                rhead, rfirst, rheaders, rbody = answer
                seen.status, seen.response_headers = int(rfirst.split(" ")[1]), rheaders
                if cut:  # the server has answered (so committed); the client never hears it
                    return
                if matching:
                    assert self.hold.wait(30), "a held answer was never released"
                seen.relayed_at = time.monotonic()
                client.sendall(rhead + rbody)
        except OSError:
            pass
        finally:
            for s in (client, server):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()


def is_save(method: str, path: str) -> bool:
    return method == "PATCH" and path.startswith("/api/v1/customers/") and path.count("/") == 4


class StatusLog:
    """Every text the form's status line is given, with when (the form sets it from Python)."""

    def __init__(self, form: CustomerProfileForm) -> None:
        self.texts: list[tuple[float, str]] = []
        label = form.status
        original = label.setText

        def set_text(text: str) -> None:
            self.texts.append((time.monotonic(), text))
            original(text)

        label.setText = set_text  # type: ignore[method-assign]

    def saved_at(self) -> list[float]:
        return [t for t, text in self.texts if text == "Saved"]


def _book(url: str, index: int) -> int:
    """One of the demo account manager's own personal customers, away from those other tests edit."""
    api = api_as(url, "manager")
    items = api.search_customers(CustomerQuery(manager_id=api.me().user.id, sort=CustomerSort.CUSTOMER_NO),
                                 page_size=200).items
    return [c.id for c in items if c.name != "张三丰" and c.type == CustomerType.PERSONAL][index]


def _open_form(qtbot, url: str, cid: int) -> tuple[CustomerProfileForm, StatusLog]:  # type: ignore[no-untyped-def]
    form = CustomerProfileForm(controller_for(url, "manager"), cid)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitExposed(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    return form, StatusLog(form)


def _edit_occupation(form: CustomerProfileForm, text: str) -> None:
    """Typed as a user types Chinese (through the input method)."""
    from PySide6.QtGui import QInputMethodEvent
    box = form.inputs["occupation"]
    box.setFocus()
    box.selectAll()  # type: ignore[attr-defined]
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(box, event)


def _changes_of(url: str, cid: int, value: str) -> list[Any]:
    return [h for h in api_as(url, "manager").history(cid) if h.field == "occupation" and h.new == value]


def _press_save(qtbot, form: CustomerProfileForm) -> None:  # type: ignore[no-untyped-def]
    assert form.save_button.isEnabled()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)


def test_a_save_whose_answer_is_lost_keeps_the_form_and_its_retry_saves_once(qtbot, live):
    cid = _book(live.url, -1)
    before = api_as(live.url, "manager").customer(cid)
    after = "茶艺师" if before.occupation != "茶艺师" else "花艺师"
    proxy = SaveCutter(live.url, "after", is_save)
    try:
        form, status = _open_form(qtbot, proxy.url, cid)
        _edit_occupation(form, after)
        assert form.is_dirty() and form.status.text() == "Unsaved changes"
        _press_save(qtbot, form)
        qtbot.waitUntil(lambda: form.save_button.isEnabled() and "your input is kept" in form.status.text(),
                        timeout=15000)
        first = proxy.saves()
        assert len(first) == 1 and first[0].status == 200 and first[0].relayed_at is None
        # the server did it; the client does not know: input kept, still unsaved, never "Saved"
        on_server = api_as(live.url, "manager").customer(cid)
        assert on_server.occupation == after and on_server.version == before.version + 1
        assert form.inputs["occupation"].text() == after and form.is_dirty()  # type: ignore[attr-defined]
        assert form.version == before.version and not status.saved_at()
        assert len(_changes_of(live.url, cid, after)) == 1

        proxy.hold.clear()  # the retry's answer waits in the proxy: "Saved" must wait for it
        _press_save(qtbot, form)
        qtbot.waitUntil(lambda: len(proxy.saves()) == 2 and proxy.saves()[1].status is not None, timeout=15000)
        qtbot.wait(300)
        assert form.status.text() == "Saving..." and not status.saved_at() and not form.save_button.isEnabled()
        proxy.hold.set()
        qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=15000)

        retry = proxy.saves()[1]
        assert retry.headers["idempotency-key"] == first[0].headers["idempotency-key"]  # the SAME key
        assert json.loads(retry.body) == json.loads(first[0].body) == {"occupation": after,
                                                                       "version": before.version}
        assert retry.status == 200 and retry.response_headers.get("idempotent-replayed") == "true"  # not done again
        assert retry.relayed_at is not None and status.saved_at() and status.saved_at()[0] >= retry.relayed_at
        assert len(status.saved_at()) == 1
        # exactly once: one version more, one change in the history, the form up to date
        on_server = api_as(live.url, "manager").customer(cid)
        assert on_server.occupation == after and on_server.version == before.version + 1
        assert len(_changes_of(live.url, cid, after)) == 1
        assert form.version == on_server.version and not form.is_dirty()
        assert len(proxy.saves()) == 2
        # and the form's own history tab shows it once
        qtbot.waitUntil(lambda: _history_rows(form, after) == 1 and form.history.rowCount() > 0, timeout=10000)
        qtbot.wait(200)
        assert _history_rows(form, after) == 1
    finally:
        proxy.close()


def _history_rows(form: CustomerProfileForm, value: str) -> int:
    """Rows of the form's history table that record the occupation changed to `value`."""
    t = form.history
    cells = [[t.item(r, c).text() if t.item(r, c) else "" for c in range(t.columnCount())] for r in range(t.rowCount())]
    return sum(1 for row in cells if "Occupation" in row and row[-1] == value)


def test_control_a_client_that_forgot_its_key_is_caught(qtbot, live, monkeypatch):
    """The checks above can fail: a client that makes a new key for its retry (patched in
    here) is not replayed — its stale version is refused (409, the conflict dialog) —
    and never reaches "Saved"."""
    cid = _book(live.url, -3)
    before = api_as(live.url, "manager").customer(cid)
    after = "面点师" if before.occupation != "面点师" else "糕点师"
    real_save = CustomerProfileForm.save

    def forgetful(self: CustomerProfileForm) -> None:
        self._idempotency_key = None
        real_save(self)

    monkeypatch.setattr(CustomerProfileForm, "save", forgetful)
    proxy = SaveCutter(live.url, "after", is_save)
    try:
        form, status = _open_form(qtbot, proxy.url, cid)
        _edit_occupation(form, after)
        _press_save(qtbot, form)
        qtbot.waitUntil(lambda: form.save_button.isEnabled() and "your input is kept" in form.status.text(),
                        timeout=15000)
        _press_save(qtbot, form)
        qtbot.waitUntil(lambda: len(proxy.saves()) == 2 and proxy.saves()[1].relayed_at is not None, timeout=15000)
        qtbot.waitUntil(lambda: hasattr(form, "conflict_dialog") and form.conflict_dialog.isVisible(), timeout=10000)
        first, retry = proxy.saves()
        assert retry.headers["idempotency-key"] != first.headers["idempotency-key"]
        assert retry.status == 409 and "idempotent-replayed" not in retry.response_headers
        assert not status.saved_at()
        form.conflict_dialog.reject()
    finally:
        proxy.close()


def test_control_a_save_lost_before_the_server_saw_it_is_made_by_the_retry(qtbot, live):
    cid = _book(live.url, -2)
    before = api_as(live.url, "manager").customer(cid)
    after = "调酒师" if before.occupation != "调酒师" else "咖啡师"
    proxy = SaveCutter(live.url, "before", is_save)
    try:
        form, status = _open_form(qtbot, proxy.url, cid)
        _edit_occupation(form, after)
        _press_save(qtbot, form)
        qtbot.waitUntil(lambda: form.save_button.isEnabled() and "your input is kept" in form.status.text(),
                        timeout=15000)
        first = proxy.saves()
        assert len(first) == 1 and first[0].status is None  # never forwarded
        on_server = api_as(live.url, "manager").customer(cid)
        assert on_server.occupation == before.occupation and on_server.version == before.version
        assert not _changes_of(live.url, cid, after) and not status.saved_at()
        assert form.inputs["occupation"].text() == after  # type: ignore[attr-defined]

        _press_save(qtbot, form)
        qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=15000)
        retry = proxy.saves()[1]
        assert retry.headers["idempotency-key"] == first[0].headers["idempotency-key"]
        assert retry.status == 200 and "idempotent-replayed" not in retry.response_headers  # done now, once
        on_server = api_as(live.url, "manager").customer(cid)
        assert on_server.occupation == after and on_server.version == before.version + 1
        assert len(_changes_of(live.url, cid, after)) == 1
    finally:
        proxy.close()
