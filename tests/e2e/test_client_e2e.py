"""The real client against a real `crm-server` process on a fresh database, the way a
bank sets it up: an operator runs init and create-admin; the admin builds a branch and
an account manager in the client; the manager logs in, chooses a password, and keeps
a customer's profile. Nothing is mocked but the desktop (keyring, settings folder)."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox

from client.api.client import ApiClient
from client.i18n import error_message
from client.main import Application
from client.views.customer_form import ConflictDialog, CustomerProfileForm
from shared.schemas import CustomerQuery
from shared.validators import id_check_char
from tests.desktop import MemoryKeyring, isolate_desktop
from tests.e2e.conftest import ADMIN_PASSWORD, ServerProcess

pytestmark = pytest.mark.e2e
FIRST_PASSWORD = "Given-By-Admin-2026"
OWN_PASSWORD = "Plum-Blossom-River-77"
ID_BODY = "33010619800315001"  # Hangzhou Xihu, born 1980-03-15, odd sequence digit: male
GOOD_ID = ID_BODY + id_check_char(ID_BODY)
BAD_ID = ID_BODY + ("0" if GOOD_ID[-1] != "0" else "1")


@pytest.fixture(autouse=True)
def desktop(tmp_path: Path, qapp) -> Iterator[MemoryKeyring]:  # type: ignore[no-untyped-def]
    yield isolate_desktop(tmp_path, qapp)


def type_text(widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """As an input method commits Chinese (QTest can only press keys of a keyboard)."""
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def log_in(qtbot, app: Application, username: str, password: str) -> None:  # type: ignore[no-untyped-def]
    d = app.show_login()
    qtbot.addWidget(d)
    qtbot.keyClicks(d.username, username)
    qtbot.keyClicks(d.password, password)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)


def test_a_bank_sets_up_and_an_account_manager_keeps_a_customer(qtbot, qapp, live_server: ServerProcess):
    app = Application(qapp, live_server.url)

    # -- the head-office admin builds a branch and an account manager
    log_in(qtbot, app, "admin", ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: app.window is not None, timeout=15000)
    w = app.window
    qtbot.addWidget(w)
    assert w.tab_titles() == ["Organisations", "Staff", "Approvals"] and w.search is None
    tree = w.org_tree
    assert tree is not None and tree.select_org(tree.controller.orgs[0].name)
    d = tree.create_org()
    assert d is not None and d.kind == "branch"
    qtbot.keyClicks(d.code, "XH01")
    type_text(d.name, "西湖支行")
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tree.select_org("西湖支行"), timeout=15000)

    staff = w.staff
    assert staff is not None
    u = staff.create_user()
    qtbot.keyClicks(u.username, "am1")
    type_text(u.display_name, "林晓")
    u.role.setCurrentIndex(u.role.findData("account_manager"))
    u.org.setCurrentIndex(u.org.findText("西湖支行", Qt.MatchFlag.MatchContains))
    assert u.org.currentIndex() >= 0
    assert u.password is not None
    qtbot.keyClicks(u.password.first, FIRST_PASSWORD)
    qtbot.keyClicks(u.password.second, FIRST_PASSWORD)
    qtbot.mouseClick(u.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: staff.select_user("am1"), timeout=15000)
    app.logout()
    assert app.window is None

    # -- the account manager logs in and must choose their own password first
    log_in(qtbot, app, "am1", FIRST_PASSWORD)
    qtbot.waitUntil(lambda: app.password_dialog is not None and app.password_dialog.isVisible(), timeout=15000)
    change = app.password_dialog
    qtbot.keyClicks(change.new.first, OWN_PASSWORD)
    qtbot.keyClicks(change.new.second, OWN_PASSWORD)
    qtbot.mouseClick(change.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window is not None, timeout=15000)
    w = app.window
    qtbot.addWidget(w)
    assert w.tab_titles() == ["Customers", "Approvals"] and w.org_label.text() == "西湖支行"
    assert w.server_label.text() == live_server.url

    # -- a new customer: the wrong check digit is refused with the field named, nothing stored
    search = w.search
    assert search is not None
    qtbot.mouseClick(search.new_button, Qt.MouseButton.LeftButton)
    form = w.tabs.currentWidget()
    assert isinstance(form, CustomerProfileForm)
    type_text(form.inputs["name"], "张三丰")
    qtbot.keyClicks(form.inputs["id_number"], BAD_ID)
    assert form.errors["id_number"].text() == error_message("customer.id_number.checksum")
    qtbot.keyClicks(form.inputs["phone"], "13912345678")
    form.save()
    qtbot.waitUntil(lambda: form.save_button.isEnabled() and
                    form.status.text() == error_message("validation.failed"), timeout=15000)
    assert form.errors["id_number"].text() == error_message("customer.id_number.checksum")
    mine = ApiClient(live_server.url)
    mine.login("am1", OWN_PASSWORD)
    assert mine.search_customers(CustomerQuery()).total == 0

    # -- corrected: saved, gender and birth date taken from the ID
    form.inputs["id_number"].clear()
    qtbot.keyClicks(form.inputs["id_number"], GOOD_ID)
    assert not form.errors["id_number"].isVisibleTo(form)
    assert form.values()["gender"] == "male" and form.values()["birth_date"].isoformat() == "1980-03-15"
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=15000)
    assert form.customer_id is not None and mine.search_customers(CustomerQuery()).total == 1

    # -- found by pinyin initials, ID and phone; Enter brings the open profile forward
    w.tabs.setCurrentWidget(search)
    for q in ("zsf", GOOD_ID, "13912345678", "三"):
        search.query.clear()
        (qtbot.keyClicks if q.isascii() else type_text)(search.query, q)
        qtbot.keyClick(search.query, Qt.Key.Key_Return)  # search now, without waiting for the debounce
        assert search.status.text() == "Searching..."
        qtbot.waitUntil(lambda: search.status.text() == "1 customer", timeout=15000)
        assert search.model.customer_at(0).name == "张三丰"
    search.table.setFocus()
    qtbot.keyClick(search.table, Qt.Key.Key_Return)
    assert w.tabs.currentWidget() is form

    # -- someone saves first: the conflict is shown, nothing overwritten; reload takes theirs
    current = mine.customer(form.customer_id)
    mine.update_customer(current.id, current.version, {"occupation": "教师"})
    type_text(form.inputs["occupation"], "工程师")
    form.save()
    qtbot.waitUntil(lambda: hasattr(form, "conflict_dialog") and form.conflict_dialog.isVisible(), timeout=15000)
    assert form.conflict_dialog.differing_fields == ["occupation"]
    form.conflict_dialog.done(ConflictDialog.RELOAD)
    assert form.inputs["occupation"].text() == "教师"

    # -- history: who changed what
    def history() -> list[list[str]]:
        return [[form.history.item(r, c).text() if form.history.item(r, c) else "" for c in range(6)]
                for r in range(form.history.rowCount())]
    qtbot.waitUntil(lambda: any(row[5] == "教师" for row in history()), timeout=15000)
    change = next(row for row in history() if row[5] == "教师")
    assert change[1] == "林晓" and change[2] == "Changed" and change[3] == "Occupation"
    assert any(row[2] == "Created" and row[3] == "Resident ID" for row in history())

    # -- the server goes away: a clear message, the input kept
    live_server.proc.terminate()
    live_server.proc.wait(10)
    type_text(form.inputs["employer"], "西湖区教育局")
    form.save()
    qtbot.waitUntil(lambda: error_message("network.unreachable") in form.status.text(), timeout=15000)
    assert form.inputs["employer"].text() == "西湖区教育局" and form.is_dirty()
    form.set_values(form.loaded)  # the window may close without asking about unsaved edits
