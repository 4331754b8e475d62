"""The client's screens on real widgets against a real server."""
from __future__ import annotations

import socket
import uuid

import httpx
import keyring
import shiboken6
from keyring.backends import fail
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication, QDialogButtonBox, QMessageBox

from client import i18n
from client.api.client import ApiClient
from client.main import Application
from client.models.customer_table import CustomerTableModel
from client.views.customer_form import ConflictDialog, CustomerProfileForm
from client.views.customer_search import CustomerSearchView
from client.views.login_dialog import LoginDialog
from client.views.main_window import MainWindow
from server.demo import DEMO_PASSWORD
from shared.enums import CustomerSort
from shared.schemas import CustomerQuery
from tests.client.conftest import WatchedTransport, api_as, controller_for


def log_in(qtbot, app: Application, username: str, password: str = DEMO_PASSWORD) -> LoginDialog:  # type: ignore[no-untyped-def]
    d = app.show_login()
    qtbot.addWidget(d)
    d.username.setText(username)
    d.password.setText(password)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    return d


def type_text(widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Chinese arrives through the input method, not as key presses (QTest cannot type it)."""
    event = QInputMethodEvent("", [])
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def own_customer(url: str, name: str = "张三丰") -> int:
    return api_as(url, "manager").search_customers(CustomerQuery(q=name)).items[0].id


# The masks as the spec writes them (CONTRACT.md, "110101********4514", "139****5678"),
# spelled out here rather than taken from shared.masking, which is what is under test.
def id_mask(full: str) -> str:
    return full[:6] + "*" * 8 + full[-4:]


def mobile_mask(full: str) -> str:
    return full[:3] + "*" * 4 + full[-4:]


def test_login_opens_the_main_window_with_user_branch_and_server(qtbot, qapp, live):
    app = Application(qapp, live.url)
    log_in(qtbot, app, "manager")
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    w = app.window
    qtbot.addWidget(w)
    assert "Account manager" in w.user_label.text() and w.org_label.text() == "城东支行"
    assert w.server_label.text() == live.url
    qtbot.waitUntil(lambda: w.search.model.rowCount() > 0, timeout=10000)


def test_wrong_password_says_so_and_keeps_the_dialog(qtbot, qapp, live):
    app = Application(qapp, live.url)
    d = log_in(qtbot, app, "manager", "Wrong-Password-123")
    qtbot.waitUntil(lambda: "Wrong username or password" in d.message.text(), timeout=10000)
    assert app.window is None and d.isVisible() and d.buttons.isEnabled()


def test_search_as_you_type_by_pinyin_and_enter_opens_the_profile(qtbot, live):
    full = api_as(live.url, "manager").customer(own_customer(live.url))  # their own: the full record
    assert full.id_number and full.phone and "*" not in full.id_number + full.phone
    w = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitActive(w)
    search = w.search
    search.query.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is search.query)
    qtbot.keyClicks(QApplication.focusWidget(), "zsf")  # as typed: the debounced search follows
    qtbot.waitUntil(lambda: search.model.rowCount() > 0 and search.model.customer_at(0).name == "张三丰",
                    timeout=10000)
    row = [search.model.data(search.model.index(0, col)) for col in range(search.model.columnCount())]
    keys = [c.key for c in search.model.columns]
    assert row[keys.index("id_number")] == id_mask(full.id_number)  # masked in lists
    assert row[keys.index("phone")] == mobile_mask(full.phone)
    assert row[keys.index("manager")] == "刘晓燕"  # whose customer, by name
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)  # from the box into the results
    assert QApplication.focusWidget() is search.table and search.table.currentIndex().row() == 0
    with qtbot.wait_signal(search.open_customer, timeout=2000) as opened:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    assert opened.args == [full.id]
    form = w.tabs.currentWidget()
    assert isinstance(form, CustomerProfileForm) and form.customer_id == full.id
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    assert form.inputs["name"].text() == "张三丰"
    assert form.inputs["id_number"].text() == full.id_number and form.inputs["phone"].text() == full.phone


def test_stale_answers_are_ignored(qtbot, live):
    """The first query's answer is held back until the second one's is on screen."""
    assert len(api_as(live.url, "manager").search_customers(CustomerQuery(q="张")).items) > 1
    transport = WatchedTransport()
    w = MainWindow(controller_for(live.url, "manager", transport))
    qtbot.addWidget(w)
    search = w.search

    def searches() -> list[httpx.Request]:
        return transport.sent("GET", "/api/v1/customers")
    slow = transport.hold(lambda r: r.url.path == "/api/v1/customers" and r.url.params.get("q") == "张")
    search.query.setText("张")
    qtbot.keyClick(search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(searches()) == 1)  # on its way, and held
    search.query.setText("zsf")
    qtbot.keyClick(search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: search.status.text() == "1 customer", timeout=10000)
    assert [c.name for c in search.model.rows()] == ["张三丰"]
    slow.set()  # now the first, older answer arrives
    assert w.controller.tasks.wait(10000)
    qtbot.wait(100)  # its queued signal reaches the view
    assert [r.url.params.get("q") for r in searches()] == ["张", "zsf"]
    assert [c.name for c in search.model.rows()] == ["张三丰"] and search.status.text() == "1 customer"


def test_customer_table_model_is_a_well_behaved_qt_model(qtmodeltester, live):
    model = CustomerTableModel()
    model.set_rows(api_as(live.url, "manager").search_customers(CustomerQuery(q="z")).items)
    assert model.rowCount() > 0
    qtmodeltester.check(model)


def test_wrong_check_digit_shows_a_field_error_and_nothing_is_saved(qtbot, live):
    cid = own_customer(live.url)
    controller = controller_for(live.url, "manager")
    form = CustomerProfileForm(controller, cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    good = form.inputs["id_number"].text()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    form.inputs["id_number"].clear()
    qtbot.keyClicks(form.inputs["id_number"], bad)
    assert form.errors["id_number"].isVisibleTo(form)
    assert "Check digit" in form.errors["id_number"].text()
    form.save()
    qtbot.waitUntil(lambda: form.save_button.isEnabled() and "correct" in form.status.text(), timeout=10000)
    assert "Check digit" in form.errors["id_number"].text()
    assert api_as(live.url, "manager").customer(cid).id_number == good


def test_saving_a_change_updates_the_history(qtbot, live):
    controller = controller_for(live.url, "manager")
    me = controller.me.user
    book = controller.api.search_customers(CustomerQuery(manager_id=me.id, sort=CustomerSort.CUSTOMER_NO)).items
    cid = next(c.id for c in book if c.name != "张三丰")  # the oldest of their own; not the conflict tests' one
    form = CustomerProfileForm(controller, cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    assert not form.masked  # their own book: the full profile
    before = form.inputs["occupation"].text()
    after = "档案管理员" if before == "图书管理员" else "图书管理员"
    form.inputs["occupation"].selectAll()
    type_text(form.inputs["occupation"], after)
    assert form.is_dirty() and form.status.text() == "Unsaved changes"
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)

    def newest() -> list[str]:
        return [form.history.item(0, c).text() if form.history.item(0, c) else "" for c in range(1, 6)]
    qtbot.waitUntil(lambda: form.history.rowCount() > 0 and newest()[4] == after, timeout=10000)
    assert newest() == [me.display_name, "Changed", "Occupation", before, after]
    assert not form.is_dirty()


def test_conflict_dialog_shows_the_other_change_and_reload_takes_it(qtbot, live):
    cid = own_customer(live.url)
    controller = controller_for(live.url, "manager")
    form = CustomerProfileForm(controller, cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    other = api_as(live.url, "president")
    current = other.customer(cid)
    other.update_customer(cid, current.version, {"occupation": "退休教师"})
    form.inputs["occupation"].setText("园艺师")
    form.save()
    qtbot.waitUntil(lambda: hasattr(form, "conflict_dialog") and form.conflict_dialog.isVisible(), timeout=10000)
    d = form.conflict_dialog
    assert d.differing_fields == ["occupation"]
    assert [d.table.item(0, 1).text(), d.table.item(0, 2).text()] == ["园艺师", "退休教师"]
    assert form.inputs["occupation"].text() == "园艺师"  # nothing lost while the user decides
    d.done(ConflictDialog.RELOAD)
    qtbot.waitUntil(lambda: form.inputs["occupation"].text() == "退休教师", timeout=10000)
    assert form.version == current.version + 1 and not form.is_dirty()


def test_conflict_keep_mine_rebases_and_the_next_save_wins(qtbot, live):
    cid = api_as(live.url, "manager").search_customers(CustomerQuery(q="张三丰")).items[0].id
    form = CustomerProfileForm(controller_for(live.url, "manager"), cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    other = api_as(live.url, "president")
    other.update_customer(cid, other.customer(cid).version, {"employer": "西湖区图书馆"})
    form.inputs["employer"].setText("杭州园林局")
    form.save()
    qtbot.waitUntil(lambda: hasattr(form, "conflict_dialog") and form.conflict_dialog.isVisible(), timeout=10000)
    form.conflict_dialog.done(ConflictDialog.KEEP_MINE)
    assert form.inputs["employer"].text() == "杭州园林局" and form.is_dirty()
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    assert api_as(live.url, "manager").customer(cid).employer == "杭州园林局"


def test_server_down_keeps_the_input_and_a_retry_reuses_its_idempotency_key(qtbot, live):
    controller = controller_for(live.url, "manager")
    up = controller.api
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]
    transport = WatchedTransport()
    down = ApiClient(f"http://127.0.0.1:{closed}", timeout=2, transport=transport)
    down.token = up.token
    controller.api = down
    form = CustomerProfileForm(controller, None)
    qtbot.addWidget(form)
    type_text(form.inputs["name"], "王小明")
    qtbot.keyClicks(form.inputs["id_number"], "11010519491231002X")

    def saved_and_failed(attempts: int) -> None:
        form.save()
        qtbot.waitUntil(lambda: len(transport.sent("POST", "/api/v1/customers")) == attempts
                        and form.save_button.isEnabled() and "cannot be reached" in form.status.text(),
                        timeout=10000)

    saved_and_failed(1)
    assert form.inputs["name"].text() == "王小明" and "your input is kept" in form.status.text()
    saved_and_failed(2)  # the same save again
    qtbot.keyClicks(form.inputs["phone"], "13912345678")
    saved_and_failed(3)  # a different save
    sent = transport.sent("POST", "/api/v1/customers")
    keys = [r.headers["Idempotency-Key"] for r in sent]
    assert sent[0].content == sent[1].content and keys[0] == keys[1]  # a retry cannot save twice
    assert sent[2].content != sent[1].content and keys[2] != keys[1]  # a changed body is a new request
    controller.api = up  # the server is back: the kept input saves
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    assert up.customer(form.customer_id).phone == "13912345678"


def test_remember_me_keeps_the_token_in_the_keyring(qtbot, qapp, live, isolated_desktop):
    app = Application(qapp, live.url)
    d = app.show_login()
    qtbot.addWidget(d)
    d.username.setText("teller")
    d.password.setText(DEMO_PASSWORD)
    d.remember_username.setChecked(True)
    d.remember_me.setChecked(True)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    qtbot.addWidget(app.window)
    assert isolated_desktop.get_password("branch-crm", f"{live.url}|teller")
    again = Application(qapp, live.url)  # the next start: no password asked
    again.start()
    qtbot.waitUntil(lambda: again.window is not None, timeout=10000)
    qtbot.addWidget(again.window)
    assert again.login_dialog is None
    app.logout()  # logging out forgets it
    assert isolated_desktop.get_password("branch-crm", f"{live.url}|teller") is None


def test_without_a_keyring_the_dialog_says_so_and_carries_on(qtbot, qapp, live):
    keyring.set_keyring(fail.Keyring())
    app = Application(qapp, live.url)
    d = log_in(qtbot, app, "teller")
    assert d.keyring_note.isVisibleTo(d) and not d.remember_me.isEnabled()
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    qtbot.addWidget(app.window)


def test_navigation_follows_the_role(qtbot, live):
    admin = MainWindow(controller_for(live.url, "admin"))
    qtbot.addWidget(admin)
    assert admin.search is None and admin.tabs.tabText(0) == "Organisations"
    teller = MainWindow(controller_for(live.url, "teller"))
    qtbot.addWidget(teller)
    assert teller.search is not None and teller.search.new_button.isVisibleTo(teller)
    auditor = MainWindow(controller_for(live.url, "auditor"))
    qtbot.addWidget(auditor)
    assert auditor.search is None
    # each role starts on its main screen
    assert auditor.tabs.currentWidget() is auditor.audit
    assert admin.tabs.currentWidget() is admin.staff and teller.tabs.currentWidget() is teller.search


def test_teller_sees_masked_identifiers_and_may_replace_only_the_mobile(qtbot, live):
    """The resident ID is masked and read-only for a teller; the mobile number is masked
    too, but a teller may change contact details: the mask shows in the empty box, what
    is typed replaces it, and an untouched box sends nothing."""
    cid = next(c.id for c in api_as(live.url, "teller").search_customers(CustomerQuery()).items if c.phone)
    full = api_as(live.url, "president").customer(cid)  # the branch manager may see the full values
    assert full.id_number and full.phone and "*" not in full.id_number + full.phone
    form = CustomerProfileForm(controller_for(live.url, "teller"), cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    assert form.inputs["id_number"].text() == id_mask(full.id_number) and form.inputs["id_number"].isReadOnly()
    qtbot.keyClicks(form.inputs["id_number"], "1")  # typing into a masked, read-only field does nothing
    assert form.inputs["id_number"].text() == id_mask(full.id_number)
    phone = form.inputs["phone"]
    assert phone.text() == "" and phone.placeholderText() == mobile_mask(full.phone) and not phone.isReadOnly()
    form.inputs["id_number"].setText(full.id_number)  # a masked value is never sent back
    assert not {"id_number", "phone"} & form.changes().keys()
    qtbot.keyClicks(phone, "13912345678")
    assert form.changes() == {"phone": "13912345678"}


def test_a_teller_changes_a_walk_ins_mobile_number_by_keyboard_alone(qtbot, live):
    """Search by the resident ID the customer hands over, Enter opens the one customer,
    Tab to the mobile field, type the new number, Ctrl+S: saved, and masked again."""
    teller = api_as(live.url, "teller")
    cid = next(c.id for c in teller.search_customers(CustomerQuery()).items if c.phone)
    full = api_as(live.url, "president").customer(cid)
    new_phone = "13700001234" if full.phone != "13700001234" else "13700004321"
    w = MainWindow(controller_for(live.url, "teller"))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitActive(w)
    w.search.query.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is w.search.query)
    qtbot.keyClicks(QApplication.focusWidget(), full.id_number)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: isinstance(w.tabs.currentWidget(), CustomerProfileForm), timeout=10000)
    form = w.tabs.currentWidget()
    assert isinstance(form, CustomerProfileForm)
    qtbot.waitUntil(lambda: form.version is not None and form.isAncestorOf(QApplication.focusWidget()),
                    timeout=10000)
    for _ in range(len(form.inputs)):
        if QApplication.focusWidget() is form.inputs["phone"]:
            break
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is form.inputs["phone"]
    qtbot.keyClicks(QApplication.focusWidget(), new_phone)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    assert api_as(live.url, "president").customer(cid).phone == new_phone
    assert form.inputs["phone"].text() == "" and form.inputs["phone"].placeholderText() == mobile_mask(new_phone)


def test_chinese_translation_loads(qapp):
    assert i18n.set_language(qapp, "zh_CN")
    assert i18n.tr("Save") == "保存" and i18n.label("role", "teller") == "柜员"
    assert i18n.set_language(qapp, "en")
    assert i18n.tr("Save") == "Save"


def test_the_shipped_font_renders_chinese(qapp):
    from PySide6.QtGui import QFontMetrics
    family = i18n.install_font(qapp)
    assert family and "WenQuanYi" in family
    assert QFontMetrics(qapp.font()).inFontUcs4(ord("张"))


def test_every_interface_string_is_translated_in_the_shipped_qm(qapp):
    """Fails when a tr() string was added without running scripts/update_translations.py."""
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parents[2] / "scripts" / "update_translations.py"
    spec = importlib.util.spec_from_file_location("update_translations", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sources = module.extract()
    translated = module.existing()
    assert i18n.set_language(qapp, "zh_CN")
    try:
        missing = [s for s in sources if s not in translated or i18n.tr(*s) != translated[s]]
    finally:
        i18n.set_language(qapp, "en")
    assert not missing, missing


def answer_next_question(qtbot, button) -> list[str]:  # type: ignore[no-untyped-def]
    """Click `button` of the next modal message box once it is shown; returns its text."""
    seen: list[str] = []

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, click)
            return
        seen.append(box.text())
        box.button(button).click()
    QTimer.singleShot(0, click)
    return seen


def test_closing_a_profile_with_unsaved_edits_asks_first(qtbot, live):
    w = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(w)
    form = w.open_customer(own_customer(live.url))
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    index = w.tabs.indexOf(form)
    w.tabs.tabCloseRequested.emit(index)  # nothing changed: closes without a question
    assert w.tabs.indexOf(form) == -1
    form = w.open_customer(own_customer(live.url))
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    type_text(form.inputs["occupation"], "画家")
    assert form.is_dirty()
    asked = answer_next_question(qtbot, QMessageBox.StandardButton.Cancel)
    w.tabs.tabCloseRequested.emit(w.tabs.indexOf(form))
    assert asked and "unsaved changes" in asked[0] and w.tabs.indexOf(form) >= 0  # kept
    asked = answer_next_question(qtbot, QMessageBox.StandardButton.Discard)
    w.tabs.tabCloseRequested.emit(w.tabs.indexOf(form))
    assert asked and w.tabs.indexOf(form) == -1


def test_an_ended_session_asks_to_log_in_again_and_keeps_the_open_form(qtbot, qapp, live):
    app = Application(qapp, live.url)
    log_in(qtbot, app, "manager2")
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    window = app.window
    qtbot.addWidget(window)
    own = CustomerQuery(manager_id=app.controller.me.user.id)
    cid = api_as(live.url, "manager2").search_customers(own).items[0].id
    form = window.open_customer(cid)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    form.inputs["occupation"].clear()
    type_text(form.inputs["occupation"], "茶艺师")
    admin = api_as(live.url, "admin")  # an admin ends every session of this user
    admin.revoke_sessions(next(u.id for u in admin.users("manager2") if u.username == "manager2"))
    form.save()
    qtbot.waitUntil(lambda: app.login_dialog is not None and app.login_dialog.isVisible()
                    and "log in again" in app.login_dialog.message.text(), timeout=10000)
    assert form.inputs["occupation"].text() == "茶艺师" and form.save_button.isEnabled()
    d = app.login_dialog
    qtbot.addWidget(d)
    d.username.setText("manager2")
    d.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert app.window is window and window.tabs.indexOf(form) >= 0  # the same window, the same form
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    assert api_as(live.url, "manager2").customer(cid).occupation == "茶艺师"


def test_another_user_logging_in_after_an_ended_session_does_not_see_the_previous_screens(qtbot, qapp, live):
    app = Application(qapp, live.url)
    log_in(qtbot, app, "president")
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    first = app.window  # the product deletes it: not handed to qtbot
    app.controller.api.logout()  # the token is no longer valid
    app.window.search.search_now()
    qtbot.waitUntil(lambda: app.login_dialog is not None and "log in again" in app.login_dialog.message.text(),
                    timeout=10000)
    d = app.login_dialog
    qtbot.addWidget(d)
    d.username.setText("teller")
    d.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window is not None and app.window is not first, timeout=10000)
    qtbot.addWidget(app.window)
    assert app.controller.me.user.username == "teller"
    qtbot.waitUntil(lambda: not shiboken6.isValid(first), timeout=5000)  # gone, not just hidden


def test_search_filters_by_org_and_own_book(qtbot, live):
    w = MainWindow(controller_for(live.url, "president"))
    qtbot.addWidget(w)
    search = w.search
    assert search is not None and search.org_filter.isVisibleTo(w) and search.mine.isVisibleTo(w)
    search.search_now()
    qtbot.waitUntil(lambda: search.model.rowCount() > 0, timeout=10000)
    sub = next(i for i in range(search.org_filter.count()) if "庆春路分理处" in search.org_filter.itemText(i))
    sub_id = search.org_filter.itemData(sub)
    search.org_filter.setCurrentIndex(sub)  # searches at once
    assert search.customer_query() == CustomerQuery(org_id=sub_id)
    qtbot.waitUntil(lambda: search.model.rowCount() > 0 and
                    all(c.org_id == sub_id for c in search.model.rows()), timeout=10000)
    manager = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(manager)
    mine = manager.search
    assert mine is not None
    mine.mine.setChecked(True)
    me = manager.controller.me.user.id
    assert mine.customer_query() == CustomerQuery(manager_id=me)
    qtbot.waitUntil(lambda: mine.model.rowCount() > 0 and all(c.manager_id == me for c in mine.model.rows()),
                    timeout=10000)


def test_the_search_box_takes_no_more_than_a_query_may_hold(qtbot, live):
    w = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(w)
    search = w.search
    qtbot.keyClicks(search.query, "z" * 150)
    limit = CustomerQuery.model_fields["q"].metadata[0].max_length
    assert search.query.text() == "z" * limit
    qtbot.keyClick(search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: search.status.text() == "0 customers", timeout=10000)


def test_enter_in_the_search_box_opens_the_one_customer_found(qtbot, live):
    """Typed and Enter at once: the search runs and its one hit opens. With the one hit
    already on screen for what the box says, Enter opens it without asking again."""
    wanted = own_customer(live.url)
    transport = WatchedTransport()
    w = MainWindow(controller_for(live.url, "manager", transport))
    qtbot.addWidget(w)
    search = w.search
    search.query.setText("zsf")
    with qtbot.wait_signal(search.open_customer, timeout=10000) as opened:
        qtbot.keyClick(search.query, Qt.Key.Key_Return)
    assert opened.args == [wanted]
    searches = len(transport.sent("GET", "/api/v1/customers"))
    with qtbot.wait_signal(search.open_customer, timeout=2000) as again:
        qtbot.keyClick(search.query, Qt.Key.Key_Return)
    assert again.args == [wanted] and len(transport.sent("GET", "/api/v1/customers")) == searches


def test_enter_with_several_customers_found_opens_none(qtbot, live):
    assert len(api_as(live.url, "manager").search_customers(CustomerQuery(q="张")).items) > 1
    w = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(w)
    search = w.search
    opened: list[int] = []
    search.open_customer.connect(opened.append)
    search.query.setText("张")
    qtbot.keyClick(search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: search.model.rowCount() > 1, timeout=10000)
    qtbot.keyClick(search.query, Qt.Key.Key_Return)
    qtbot.wait(200)
    assert opened == []


def test_a_failed_search_leaves_no_rows_of_the_query_before(qtbot, live):
    transport = WatchedTransport()
    w = MainWindow(controller_for(live.url, "manager", transport))
    qtbot.addWidget(w)
    search = w.search
    search.query.setText("张")
    qtbot.keyClick(search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: search.model.rowCount() > 1, timeout=10000)
    transport.fail(lambda r: r.url.path == "/api/v1/customers" and r.url.params.get("q") == "zsf")
    search.query.setText("zsf")
    qtbot.keyClick(search.query, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: search.model.rowCount() == 0, timeout=10000)
    assert search.status.text() and search.status.text() != "Searching..."


def test_a_control_character_pasted_into_the_search_box_is_ignored(qtbot, live):
    """The server refuses control characters in a query (422); the box searches for the
    text without them instead of failing in the view."""
    w = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(w)
    search = w.search
    search.query.setText("zsf\x07")
    with qtbot.wait_signal(search.open_customer, timeout=10000) as opened:
        qtbot.keyClick(search.query, Qt.Key.Key_Return)
    assert opened.args == [own_customer(live.url)]


def test_a_refused_field_is_named_and_marked_and_not_advised_to_save_again(qtbot, live):
    """A teller changes a customer's name (not theirs to change): the 403 names the field,
    marks it, and the next save sends a new Idempotency-Key (the same body would be
    refused again; a changed one must not reuse the key)."""
    cid = next(c.id for c in api_as(live.url, "teller").search_customers(CustomerQuery()).items)
    transport = WatchedTransport()
    form = CustomerProfileForm(controller_for(live.url, "teller", transport), cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    form.inputs["name"].setText(form.inputs["name"].text() + "甲")
    form.save()
    qtbot.waitUntil(lambda: form.save_button.isEnabled() and form.status.text() != "Saving...", timeout=10000)
    assert form.status.text() == "Your role may not change: Name"
    assert form.errors["name"].isVisibleTo(form) and form.errors["name"].text() == "Your role may not change this field"
    assert "save again" not in form.status.text()
    form.save()
    qtbot.waitUntil(lambda: len(transport.sent("PATCH", f"/api/v1/customers/{cid}")) == 2, timeout=10000)
    first, second = transport.sent("PATCH", f"/api/v1/customers/{cid}")
    assert first.headers["Idempotency-Key"] != second.headers["Idempotency-Key"]


def test_a_validation_error_without_fields_says_what_is_wrong(qtbot, live):
    """A 422 that marks no field (an Idempotency-Key reused for another body) does not
    ask to correct marked fields that are not there."""
    from client.api.client import ApiError
    form = CustomerProfileForm(controller_for(live.url, "manager"))
    qtbot.addWidget(form)
    form._save_failed(ApiError(422, "idempotency.key_reused", "Unprocessable", "This key was used for another request"))
    assert form.status.text() == "The server took this save for another one: please save again"
    assert not any(lbl.isVisibleTo(form) for lbl in form.errors.values())


def test_a_branch_manager_sets_a_customers_account_manager_in_the_profile(qtbot, live):
    """The branch's account managers are offered by name; the choice is saved; a teller
    does not see the field (they may not list the staff)."""
    president = api_as(live.url, "president")
    staff = {u.username: u for u in president.users(role="account_manager")}
    assert {"manager", "manager2"} <= staff.keys()
    cid = own_customer(live.url)  # in manager's book
    form = CustomerProfileForm(controller_for(live.url, "president"), cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    combo = form.inputs["manager_id"]
    qtbot.waitUntil(lambda: combo.findData(staff["manager2"].id) >= 0, timeout=10000)
    assert combo.isEnabled() and combo.currentData() == staff["manager"].id
    assert combo.currentText().startswith(staff["manager"].display_name)
    assert not form.is_dirty()  # the list arriving changes nothing
    combo.setCurrentIndex(combo.findData(staff["manager2"].id))
    assert form.changes() == {"manager_id": staff["manager2"].id}
    form.save()
    try:
        qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
        assert president.customer(cid).manager_id == staff["manager2"].id
    finally:  # the other tests find 张三丰 in manager's book
        c = president.customer(cid)
        if c.manager_id != staff["manager"].id:
            president.update_customer(cid, c.version, {"manager_id": staff["manager"].id}, uuid.uuid4().hex)
    teller_form = CustomerProfileForm(controller_for(live.url, "teller"), cid)
    qtbot.addWidget(teller_form)
    teller_form.show()
    qtbot.waitUntil(lambda: teller_form.version is not None, timeout=10000)
    assert not teller_form.inputs["manager_id"].isVisible()


def _all_pages(api: ApiClient, query: CustomerQuery) -> list[int]:
    ids: list[int] = []
    page = 1
    while True:
        got = api.search_customers(query, page, 200)
        ids += [c.id for c in got.items]
        if page * 200 >= got.total:
            return ids
        page += 1


def test_a_branch_manager_scrolls_through_every_customer_sorted_by_name_then_by_number(qtbot, live, monkeypatch):
    """The list asks for page after page as it is scrolled (pages of 7 here) until every
    customer of the branch is on screen, in the server's name order; a click on the
    customer number's header sorts by it on the server."""
    from client.views import customer_search
    monkeypatch.setattr(customer_search, "PAGE_SIZE", 7)
    expected = _all_pages(api_as(live.url, "president"), CustomerQuery())
    assert len(expected) > 3 * 7
    w = MainWindow(controller_for(live.url, "president"))
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    search = w.search
    search.search_now()
    qtbot.waitUntil(lambda: search.model.rowCount() >= 7, timeout=10000)  # more as the view fills
    assert search.status.text() == f"{len(expected)} customers"

    def scrolled_to_the_end() -> bool:
        search.table.scrollToBottom()
        return search.model.rowCount() == len(expected)
    qtbot.waitUntil(scrolled_to_the_end, timeout=20000)
    assert [c.id for c in search.model.rows()] == expected
    assert not search.model.canFetchMore()
    column = search.model.sort_column("customer_no")
    search.table.horizontalHeader().setSortIndicator(column, Qt.SortOrder.DescendingOrder)
    by_number = _all_pages(api_as(live.url, "president"), CustomerQuery(sort=CustomerSort.CUSTOMER_NO_DESC))
    qtbot.waitUntil(lambda: search.model.rowCount() > 0 and search.model.customer_at(0).id == by_number[0],
                    timeout=10000)
    rows = [c.id for c in search.model.rows()]  # a new order starts again at its first page
    assert rows == by_number[:len(rows)]
    search.table.horizontalHeader().setSortIndicator(search.model.sort_column("name") + 2, Qt.SortOrder.AscendingOrder)
    assert search.table.horizontalHeader().sortIndicatorSection() == column  # gender: not sortable


def test_after_an_ended_session_the_login_names_the_user_and_another_user_is_warned_of_unsaved_forms(
        qtbot, qapp, live):
    """The login asks the user whose session ended, by name. Someone else logging in
    while that user's form holds unsaved edits is asked first: Cancel keeps the form for
    its user (and logs the other one out again); Discard lets them in."""
    app = Application(qapp, live.url)
    log_in(qtbot, app, "manager2")
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    first = app.window
    own = CustomerQuery(manager_id=app.controller.me.user.id)
    cid = api_as(live.url, "manager2").search_customers(own).items[0].id
    form = first.open_customer(cid)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    type_text(form.inputs["employer"], "某某公司")
    assert form.is_dirty()
    app.controller.api.logout()  # the session ends
    first.search.search_now()
    qtbot.waitUntil(lambda: app.login_dialog is not None and "log in again" in app.login_dialog.message.text(),
                    timeout=10000)
    d = app.login_dialog
    qtbot.addWidget(d)
    assert d.username.text() == "manager2"
    d.username.setText("teller")
    d.password.setText(DEMO_PASSWORD)
    asked = answer_next_question(qtbot, QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(asked) and app.login_dialog is not d and app.login_dialog.isVisible(), timeout=10000)
    assert "(1)" in asked[0] and app.window is first and form.is_dirty()
    again = app.login_dialog
    qtbot.addWidget(again)
    assert again.username.text() == "manager2"  # back to the user whose form it is
    again.username.setText("teller")
    again.password.setText(DEMO_PASSWORD)
    answer_next_question(qtbot, QMessageBox.StandardButton.Discard)
    qtbot.mouseClick(again.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window is not None and app.window is not first, timeout=10000)
    qtbot.addWidget(app.window)
    assert app.controller.me.user.username == "teller"


def test_an_error_appearing_moves_nothing_on_the_profile(qtbot, live):
    form = CustomerProfileForm(controller_for(live.url, "manager"), own_customer(live.url))
    qtbot.addWidget(form)
    form.resize(1180, 720)
    form.show()
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    below = [form.inputs[f].mapTo(form, form.inputs[f].rect().topLeft()) for f in ("phone", "org_id")]
    form.inputs["name"].setText("")
    form.show_error("name", "field.required")
    qtbot.wait(50)  # the layout settles
    assert form.errors["name"].isVisible()
    assert [form.inputs[f].mapTo(form, form.inputs[f].rect().topLeft()) for f in ("phone", "org_id")] == below


def test_a_teller_sees_which_fields_are_theirs_to_change_before_typing(qtbot, live):
    """From /auth/me: a teller may change contact details only, so the profile's other
    fields are read-only (or disabled) with a hint, and Tab goes to what may be typed in;
    an account manager may change their customer's profile but not its branch."""
    cid = own_customer(live.url)
    form = CustomerProfileForm(controller_for(live.url, "teller"), cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    for f in ("name", "occupation", "employer"):
        assert form.inputs[f].isReadOnly() and form.inputs[f].toolTip() == "Your role may not change this field"
    for f in ("marital_status", "lifecycle_stage", "org_id", "gender"):
        assert not form.inputs[f].isEnabled(), f
    assert not form.inputs["address"].isReadOnly() and not form.inputs["phone"].isReadOnly()
    mine = CustomerProfileForm(controller_for(live.url, "manager"), cid)
    qtbot.addWidget(mine)
    qtbot.waitUntil(lambda: mine.version is not None, timeout=10000)
    assert not mine.inputs["name"].isReadOnly() and mine.inputs["marital_status"].isEnabled()
    assert not mine.inputs["org_id"].isEnabled()  # moving a customer between branches: a branch manager's


def test_one_english_word_with_two_meanings_has_two_translations_and_counts_agree_in_number(qapp):
    """An org's kind "Branch" is 支行; a customer's "Branch" (the org it belongs to) is
    所属机构. "1 customer", "2 customers"; Chinese has one form."""
    assert i18n.label("org_kind", "branch") == "Branch" and i18n.field_labels()["org_id"] == "Branch"
    assert i18n.set_language(qapp, "zh_CN")
    try:
        assert i18n.label("org_kind", "branch") == "支行"
        assert i18n.field_labels()["org_id"] == "所属机构"
        assert i18n.tr("%1 customer").replace("%1", "1") == i18n.tr("%1 customers").replace("%1", "1")
        assert i18n.tr("Name", "of an organisation") == "机构名称" and i18n.tr("Name") == "姓名"
    finally:
        i18n.set_language(qapp, "en")


def test_keyboard_shortcuts_find_new_refresh_and_close_and_are_listed_in_help(qtbot, live):
    transport = WatchedTransport()
    w = MainWindow(controller_for(live.url, "manager", transport))
    qtbot.addWidget(w)
    w.show()
    qtbot.waitActive(w)
    assert w.search is not None
    form = w.open_customer(own_customer(live.url))
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    qtbot.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.currentWidget() is w.search and QApplication.focusWidget() is w.search.query
    searches = len(transport.sent("GET", "/api/v1/customers"))
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: len(transport.sent("GET", "/api/v1/customers")) == searches + 1, timeout=10000)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    new = w.tabs.currentWidget()
    assert isinstance(new, CustomerProfileForm) and new.customer_id is None
    qtbot.keyClick(QApplication.focusWidget() or w, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.indexOf(new) < 0 and w.tabs.indexOf(form) >= 0  # the untouched new form closes
    w.tabs.setCurrentWidget(w.search)
    qtbot.keyClick(w.search.query, Qt.Key.Key_W, Qt.KeyboardModifier.ControlModifier)
    assert w.tabs.indexOf(w.search) >= 0  # a home tab stays
    rows = dict(w.shortcut_rows())
    assert rows["Find a customer"] == "Ctrl+F" and rows["New customer"] == "Ctrl+N" and rows["Refresh"] == "F5"
    assert rows["Close tab"] == "Ctrl+W" and rows["Save"] == "Ctrl+S"
    box = w.show_shortcuts()
    assert "<b>Ctrl+F</b></td><td>Find a customer</td>" in box.text()
    box.close()
    languages = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Language").actions()
    assert [a.text() for a in languages if a.isChecked()] == ["English"]  # the language in use, marked
    tools = {a.text(): a for a in w.toolbar.actions()}  # the common actions with icons, shortcut in the tip
    assert set(tools) == {"Find a customer", "New customer", "Refresh", "Export list..."}
    assert all(not a.icon().isNull() for a in tools.values())
    assert tools["Export list..."].toolTip() == "Export list (Ctrl+E)"


def test_corporate_customers_are_listed_with_their_own_columns(qtbot, live):
    """The type filter: companies with their credit code, no gender or age; both types
    together with a type column. Every list names the branch and the account manager."""
    search = CustomerSearchView(controller_for(live.url, "president"))
    qtbot.addWidget(search)
    search.kind.setCurrentIndex(search.kind.findData("corporate"))
    qtbot.waitUntil(lambda: search.model.rowCount() > 0 and search.model.kind == "corporate", timeout=10000)
    headers = [search.model.headerData(i, Qt.Orientation.Horizontal) for i in range(search.model.columnCount())]
    assert headers == ["Customer no.", "Company name", "Credit code", "Phone", "Branch", "Account manager"]
    rows = [search.model.customer_at(i) for i in range(search.model.rowCount())]
    assert {c.type for c in rows} == {"corporate"}
    credit = search.model.data(search.model.index(0, 2))
    assert credit == rows[0].uscc and len(credit) == 18
    search.kind.setCurrentIndex(search.kind.findData(None))
    qtbot.waitUntil(lambda: search.model.kind is None and search.model.rowCount() > 0, timeout=10000)
    headers = [search.model.headerData(i, Qt.Orientation.Horizontal) for i in range(search.model.columnCount())]
    assert headers[:3] == ["Customer no.", "Name", "Type"] and headers[-2:] == ["Branch", "Account manager"]


def test_the_words_qt_itself_brings_are_chinese_too(qapp):
    """A message box's buttons, a dialog's Cancel: Qt's own translation is loaded with ours."""
    assert i18n.set_language(qapp, "zh_CN")
    try:
        box = QMessageBox(QMessageBox.Icon.Question, "t", "t",
                          QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel
                          | QMessageBox.StandardButton.Close)
        texts = {box.button(b).text() for b in (QMessageBox.StandardButton.Discard, QMessageBox.StandardButton.Cancel,
                                                QMessageBox.StandardButton.Close)}
        assert not any(any("a" <= ch.lower() <= "z" for ch in t) for t in texts), texts
    finally:
        i18n.set_language(qapp, "en")


def test_a_teller_finds_a_walk_in_by_surname_and_the_mobiles_last_four_digits(qtbot, live):
    full = api_as(live.url, "manager").customer(own_customer(live.url))
    assert full.phone
    search = CustomerSearchView(controller_for(live.url, "teller"))
    qtbot.addWidget(search)
    search.show()
    search.query.setFocus()
    type_text(search.query, f"张 {full.phone[-4:]}")
    with qtbot.wait_signal(search.open_customer, timeout=10000) as opened:
        qtbot.keyClick(search.query, Qt.Key.Key_Return)
    assert opened.args == [full.id]


def test_esc_in_the_search_box_starts_again(qtbot, live):
    search = CustomerSearchView(controller_for(live.url, "manager"))
    qtbot.addWidget(search)
    search.show()
    search.query.setFocus()
    qtbot.keyClicks(search.query, "zsf")
    qtbot.keyClick(search.query, Qt.Key.Key_Escape)
    assert search.query.text() == ""
    qtbot.waitUntil(lambda: search._shown is not None and search._shown[1].q is None, timeout=10000)
