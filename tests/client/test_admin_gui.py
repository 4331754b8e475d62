"""Head-office admin screens on real widgets against a real server: staff accounts,
approvals, password resets and changes, the audit trail; and what other roles see."""
from __future__ import annotations

import itertools

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit

from client import i18n
from client.api.client import ApiClient, ApiError
from client.i18n import error_message
from client.main import Application
from client.views.main_window import MainWindow
from client.views.staff_admin import PasswordResetDialog, StaffView, UserDialog
from shared import errors as codes
from tests.client.conftest import api_as, controller_for

NEW_PASSWORD = "Lakeside-Willow-2026"
_serial = itertools.count(1)


def unique(prefix: str) -> str:
    return f"{prefix}{next(_serial)}"


def staff_view(qtbot, url: str, username: str = "admin") -> StaffView:  # type: ignore[no-untyped-def]
    view = StaffView(controller_for(url, username))
    qtbot.addWidget(view)
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=10000)
    return view


def new_teller(url: str) -> tuple[int, str]:
    admin = api_as(url, "admin")
    branch = next(o for o in admin.orgs() if o.name == "城东支行")
    username = unique("t")
    user = admin.create_user({"username": username, "password": NEW_PASSWORD, "display_name": "测试柜员",
                              "role": "teller", "org_id": branch.id})
    return user.id, username  # type: ignore[union-attr]


def choose(combo, value) -> None:  # type: ignore[no-untyped-def]
    combo.setCurrentIndex(combo.findData(value))


def select(qtbot, view: StaffView, username: str) -> None:  # type: ignore[no-untyped-def]
    view.query.setText(username)
    view.refresh()
    qtbot.waitUntil(lambda: view.select_user(username), timeout=10000)


def test_admin_creates_a_user_with_field_errors_first(qtbot, live):
    view = staff_view(qtbot, live.url)
    d = view.create_user()
    assert isinstance(d, UserDialog) and d.isVisible()
    for bad in ("x", "钱多多", "a b", "x" * 41):  # the rules UserCreate applies, checked as you type
        d.username.setText(bad)
        assert not d._check_username(), bad
        assert d.errors.labels["username"].text() == error_message("user.username.format")
    d.username.setText("admin")  # taken
    d.display_name.setText("钱多多")
    choose(d.role, "account_manager")
    choose(d.org, next(o.id for o in view.controller.orgs if o.name == "城东支行"))
    d.password.first.setText("short")
    d.password.check()
    assert d.errors.labels["password"].text() == error_message("password.too_short")
    d.password.first.setText(NEW_PASSWORD)
    d.password.second.setText(NEW_PASSWORD + "x")
    d.submit()
    assert d.errors.labels["password_confirm"].text() == error_message("password.mismatch")
    d.password.second.setText(NEW_PASSWORD)
    d.submit()  # the server refuses the taken username: the error is shown under it, the dialog stays
    qtbot.waitUntil(lambda: d.errors.labels["username"].text() == error_message("user.username.duplicate"),
                    timeout=10000)
    assert d.isVisible() and d.buttons.isEnabled()
    username = unique("qian")
    d.username.setText(username)
    d.submit()
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    qtbot.waitUntil(lambda: view.select_user(username), timeout=10000)
    u = view.selected()
    assert u is not None and u.role == "account_manager" and u.must_change_password
    theirs = ApiClient(live.url)
    assert theirs.login(username, NEW_PASSWORD).password_change_required
    with pytest.raises(ApiError) as exc:  # the new user must choose a password before anything else
        theirs.orgs()
    assert exc.value.code == codes.AUTH_PASSWORD_CHANGE_REQUIRED


def test_granting_a_privileged_role_waits_for_a_second_admin(qtbot, live):
    _, username = new_teller(live.url)
    view = staff_view(qtbot, live.url)
    select(qtbot, view, username)
    d = view.edit_selected()
    assert d is not None and d.username.isReadOnly()
    choose(d.role, "auditor")
    assert "second head-office admin" in d.note.text()
    d.submit()
    qtbot.waitUntil(lambda: "Sent for approval" in view.status.text(), timeout=10000)
    assert api_as(live.url, "admin").users(username)[0].role == "teller"  # not yet

    mine = MainWindow(view.controller)  # the maker cannot approve their own request: it is under "My requests"
    qtbot.addWidget(mine)
    assert mine.approvals is not None
    qtbot.waitUntil(lambda: any(a.summary.endswith(username) for a in mine.approvals.mine_model.rows()),
                    timeout=10000)
    assert not any(a.summary.endswith(username) for a in mine.approvals.model.rows())
    mine.approvals.lists.setCurrentWidget(mine.approvals.mine_table)
    own = next(a for a in mine.approvals.mine_model.rows() if a.summary.endswith(username))
    assert mine.approvals.select_request(own.id) and not mine.approvals.approve_button.isEnabled()

    checker = MainWindow(controller_for(live.url, "admin2"))
    qtbot.addWidget(checker)
    view2 = checker.approvals
    assert view2 is not None
    qtbot.waitUntil(lambda: any(a.summary.endswith(username) for a in view2.model.rows()), timeout=10000)
    row = next(i for i, a in enumerate(view2.model.rows()) if a.summary.endswith(username))
    view2.table.selectRow(row)
    assert view2.approve_button.isEnabled()
    qtbot.mouseClick(view2.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Approved" in view2.status.text(), timeout=10000)
    assert api_as(live.url, "admin").users(username)[0].role == "auditor"


def test_lock_and_unlock(qtbot, live):
    _, username = new_teller(live.url)
    view = staff_view(qtbot, live.url)
    select(qtbot, view, username)
    assert view.lock_button.isEnabled() and not view.unlock_button.isEnabled()
    qtbot.mouseClick(view.lock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.selected() is not None and view.selected().locked, timeout=10000)
    assert view.model.data(view.model.index(view.table.currentIndex().row(), 5)) == "Locked"
    with pytest.raises(ApiError) as exc:
        ApiClient(live.url).login(username, NEW_PASSWORD)
    assert exc.value.status == 401
    assert view.unlock_button.isEnabled()
    qtbot.mouseClick(view.unlock_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not view.selected().locked, timeout=10000)
    ApiClient(live.url).login(username, NEW_PASSWORD)


def test_admin_cannot_lock_themselves(qtbot, live):
    view = staff_view(qtbot, live.url)
    select(qtbot, view, "admin")
    assert not view.lock_button.isEnabled() and not view.reset_button.isEnabled()


def test_end_all_sessions(qtbot, live):
    _, username = new_teller(live.url)
    theirs = ApiClient(live.url)
    theirs.login(username, NEW_PASSWORD)
    theirs.me()
    view = staff_view(qtbot, live.url)
    select(qtbot, view, username)
    view.revoke_sessions()
    qtbot.waitUntil(lambda: "has ended" in view.status.text(), timeout=10000)
    with pytest.raises(ApiError) as exc:
        theirs.me()
    assert exc.value.status == 401


def test_reset_password_then_the_user_must_choose_their_own_at_login(qtbot, qapp, live):
    _, username = new_teller(live.url)
    view = staff_view(qtbot, live.url)
    select(qtbot, view, username)
    d = view.reset_password()
    assert isinstance(d, PasswordResetDialog)
    d.password.first.setText("password1234")  # a password from every cracking dictionary is refused
    d.password.check()
    assert d.errors.labels["new_password"].text() == error_message("password.common")
    d.suggest()
    temporary = d.suggestion.text()
    assert len(temporary) == 19 and not d.errors.labels["new_password"].isVisibleTo(d)
    d.submit()
    qtbot.waitUntil(lambda: "was reset" in view.status.text(), timeout=10000)

    app = Application(qapp, live.url)  # the user logs in with the temporary password
    login = app.show_login()
    qtbot.addWidget(login)
    login.username.setText(username)
    login.password.setText(temporary)
    qtbot.mouseClick(login.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.password_dialog is not None and app.password_dialog.isVisible(), timeout=10000)
    change = app.password_dialog
    assert app.window is None
    change.new.first.setText(temporary)  # the same password again is refused by the server
    change.new.second.setText(temporary)
    change.submit()
    qtbot.waitUntil(lambda: change.errors.labels["new_password"].text() == error_message("password.unchanged"),
                    timeout=10000)
    mine = "Bamboo-Teapot-Harbour-9"
    change.new.first.setText(mine)
    change.new.second.setText(mine)
    change.submit()
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    qtbot.addWidget(app.window)
    assert not change.isVisible()
    ApiClient(live.url).login(username, mine)


def test_changing_ones_own_password_from_the_session_menu(qtbot, qapp, live):
    _, username = new_teller(live.url)
    app = Application(qapp, live.url)
    login = app.show_login()
    qtbot.addWidget(login)
    login.username.setText(username)
    login.password.setText(NEW_PASSWORD)
    qtbot.mouseClick(login.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    qtbot.addWidget(app.window)
    d = app.change_password()
    assert d is not None
    d.old.setText("Not-The-Password-1")
    d.new.first.setText("Copper-Kettle-Morning-4")
    d.new.second.setText("Copper-Kettle-Morning-4")
    d.submit()
    qtbot.waitUntil(lambda: d.errors.labels["old_password"].text() == error_message("auth.wrong_password"),
                    timeout=10000)
    d.old.setText(NEW_PASSWORD)
    d.submit()
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    app.controller.api.me()  # the session carries on with the new token
    ApiClient(live.url).login(username, "Copper-Kettle-Morning-4")


def test_a_stale_user_edit_saves_nothing_and_shows_the_current_record(qtbot, live):
    user_id, username = new_teller(live.url)
    view = staff_view(qtbot, live.url)
    select(qtbot, view, username)
    d = view.edit_selected()
    assert d is not None
    other = api_as(live.url, "admin2")
    other.update_user(user_id, other.users(username)[0].version, {"display_name": "改过的名字"})
    d.display_name.setText("我的名字")
    d.submit()
    qtbot.waitUntil(lambda: "changed by someone else" in view.status.text(), timeout=10000)
    assert view.selected().display_name == "改过的名字"
    assert api_as(live.url, "admin").users(username)[0].display_name == "改过的名字"


def test_branch_manager_sees_their_own_staff_read_only(qtbot, live):
    w = MainWindow(controller_for(live.url, "president"))
    qtbot.addWidget(w)
    # staff read-only; approvals as the branch's checker; no audit trail
    assert w.staff is not None and w.approvals is not None and w.audit is None
    qtbot.waitUntil(lambda: w.staff.model.rowCount() > 0, timeout=10000)
    names = {u.username for u in w.staff.model.rows()}
    assert {"president", "manager", "teller"} <= names and not names & {"admin", "cx_president"}
    assert not w.staff.new_button.isVisibleTo(w.staff) and not w.staff.lock_button.isVisibleTo(w.staff)
    assert w.staff.select_user("teller") and w.staff.selected() is not None  # a colleague is chosen...
    assert w.staff.edit_selected() is None  # ...and still cannot be edited


def test_auditor_reads_the_audit_trail(qtbot, live):
    w = MainWindow(controller_for(live.url, "auditor"))
    qtbot.addWidget(w)
    assert w.audit is not None and w.staff is None and w.search is None
    qtbot.waitUntil(lambda: w.audit.model.rowCount() > 0, timeout=10000)
    w.audit.action.setCurrentIndex(w.audit.action.findData("customer.update"))
    w.audit.refresh()
    qtbot.waitUntil(lambda: w.audit.model.rowCount() > 0 and
                    all(e.action == "customer.update" for e in w.audit.model.rows()), timeout=10000)
    w.audit.table.selectRow(0)  # a customer's entry: their change history, old and new values
    entry = w.audit.model.row_at(0)
    qtbot.waitUntil(lambda: w.audit.history.rowCount() > 0, timeout=10000)
    assert entry.object_id in w.audit.history_title.text()
    assert any(w.audit.history.item(r, 2).text() == "Changed" for r in range(w.audit.history.rowCount()))
    w.audit.action.setCurrentIndex(w.audit.action.findData("auth.login"))
    w.audit.refresh()
    qtbot.waitUntil(lambda: w.audit.model.rowCount() > 0 and
                    all(e.action.startswith("auth.login") for e in w.audit.model.rows()), timeout=10000)


def test_admin_adds_and_renames_a_sub_branch_in_the_org_tree(qtbot, live):
    w = MainWindow(controller_for(live.url, "admin"))
    qtbot.addWidget(w)
    tree = w.org_tree
    assert tree is not None and tree.select_org("城东支行")
    d = tree.create_org()
    assert d is not None and d.kind == "sub_branch"
    taken = next(o.code for o in w.controller.orgs if o.name == "城东支行")
    d.code.setText(taken)
    d.name.setText("城东支行测试分理处")
    d.submit()
    qtbot.waitUntil(lambda: d.errors.labels["code"].text() == error_message("org.code.duplicate"), timeout=10000)
    code = unique("B1T")
    d.code.setText(code)
    d.submit()
    qtbot.waitUntil(lambda: tree.select_org("城东支行测试分理处"), timeout=10000)
    assert w.controller.org_names[tree.selected().id] == "城东支行测试分理处"  # every screen sees the new org
    assert not tree.new_button.isEnabled()  # nothing sits under a sub-branch
    e = tree.edit_selected()
    assert e is not None
    e.name.setText(f"城东支行{code}分理处")
    e.submit()
    qtbot.waitUntil(lambda: tree.select_org(f"城东支行{code}分理处"), timeout=10000)
    assert any(o.name == f"城东支行{code}分理处" for o in api_as(live.url, "admin").orgs())


def test_the_auditor_sees_the_org_tree_read_only(qtbot, live):
    w = MainWindow(controller_for(live.url, "auditor"))
    qtbot.addWidget(w)
    assert w.org_tree is not None and not w.org_tree.new_button.isVisibleTo(w.org_tree)
    assert w.org_tree.select_org("城东支行") and w.org_tree.edit_selected() is None


@pytest.mark.parametrize("role_user, tabs", [
    ("admin", ["Organisations", "Staff", "Approvals"]),
    ("auditor", ["Organisations", "Audit trail"]),
    ("president", ["Customers", "Staff", "Approvals"]),  # the branch's checker (reassignments)
    ("manager", ["Customers", "Approvals"]),  # a maker follows their own requests
    ("teller", ["Customers"]),
])
def test_each_role_sees_its_own_screens(qtbot, live, role_user, tabs):
    w = MainWindow(controller_for(live.url, role_user))
    qtbot.addWidget(w)
    assert w.tab_titles() == tabs


def test_every_error_code_has_a_message_for_the_user():
    """Codes are what the server says; the client must have words for each of them."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    found: set[str] = {v for k, v in vars(codes).items() if k.isupper() and isinstance(v, str)}
    for path in [*(root / "server").rglob("*.py"), *(root / "shared").rglob("*.py")]:
        text = path.read_text(encoding="utf-8")
        found |= set(re.findall(r'FieldError\(\s*[^,()]+,\s*"([a-z_]+\.[a-z_.]+)"', text))
        found |= set(re.findall(r'PydanticCustomError\(\s*"([a-z_]+\.[a-z_.]+)"', text))
        found |= set(re.findall(r'"((?:org|customer|user|field|password|approval)\.[a-z_]+\.[a-z_]+)"', text))
    assert len(found) > 40
    missing = sorted(c for c in found if error_message(c) == c)
    assert not missing, missing


def test_a_dialog_shows_the_servers_answer_under_the_field_or_on_its_message_line(qtbot):
    from PySide6.QtWidgets import QFormLayout, QWidget

    from client.views.widgets import FieldErrors, error_label
    host = QWidget()
    qtbot.addWidget(host)
    form = QFormLayout(host)
    errors = FieldErrors(form)
    errors.add_row("username", "Username", QLineEdit())
    message = error_label()
    errors.show_problem(ApiError(422, "validation.failed", field_errors={"username": "user.username.format"}), message)
    assert errors.labels["username"].text() == error_message("user.username.format") and not message.text()
    errors.show_problem(ApiError(422, "validation.failed", field_errors={"org_id": "user.org_id.not_found"}), message)
    assert not errors.labels["username"].isVisibleTo(host)  # the earlier error is gone
    # no such field here: on the message line, the field named
    assert message.text().endswith(": " + error_message("user.org_id.not_found"))
    errors.show_problem(ApiError(409, "user.username.duplicate"), message, {"user.username.duplicate": "username"})
    assert errors.labels["username"].text() == error_message("user.username.duplicate") and not message.text()
    errors.show_problem(ApiError(0, "network.unreachable"), message)
    assert message.text().startswith(error_message("network.unreachable")) and "kept" in message.text()


def test_the_audit_trail_pages_past_its_first_page_as_it_is_scrolled(qtbot, live):
    """Every entry of the trail is reachable (it stopped at 200): pages of 5 here, until
    the list holds what the server counts, newest first, none twice."""
    auditor = api_as(live.url, "auditor")
    total = auditor.audit_page(page_size=1).total
    assert total > 3 * 5
    w = MainWindow(controller_for(live.url, "auditor"))
    qtbot.addWidget(w)
    w.resize(1000, 600)
    w.show()
    assert w.audit is not None
    w.audit.pager.page_size = 5
    w.audit.refresh()
    qtbot.waitUntil(lambda: w.audit.model.rowCount() >= 5, timeout=10000)  # more as the view fills

    def scrolled_to_the_end() -> bool:
        w.audit.table.scrollToBottom()
        return w.audit.model.rowCount() >= total
    qtbot.waitUntil(scrolled_to_the_end, timeout=20000)
    rows = w.audit.model.rows()
    assert len({e.id for e in rows}) == len(rows)
    assert [e.at for e in rows] == sorted((e.at for e in rows), reverse=True)
    assert w.audit.status.text().endswith(" entries (newest first)")


def test_a_page_that_overlaps_the_one_before_adds_no_row_twice(qtmodeltester):
    """Entries written while the auditor scrolls shift the server's newest-first pages:
    the next page starts with rows already shown."""
    from datetime import UTC, datetime

    from client.models.rows import Column, RowsModel
    from shared.schemas import AuditEntry

    def entry(i: int) -> AuditEntry:
        return AuditEntry(id=i, at=datetime(2026, 12, 1, tzinfo=UTC), actor_id=None, actor_name=None,
                          action="auth.login", object_type=None, object_id=None, outcome="success", source=None,
                          detail=None)
    model: RowsModel[AuditEntry] = RowsModel([Column("id", lambda: "id", lambda e: str(e.id))], key=lambda e: e.id)
    model.set_rows([entry(i) for i in (10, 9, 8)], more=True)
    model.append_rows([entry(i) for i in (8, 7, 6)], more=False)
    assert [e.id for e in model.rows()] == [10, 9, 8, 7, 6]
    qtmodeltester.check(model)


def test_the_staff_list_pages_past_its_first_page_as_it_is_scrolled(qtbot, live):
    total = api_as(live.url, "admin").users_page(page_size=1).total
    assert total > 3 * 4
    view = staff_view(qtbot, live.url)
    view.pager.page_size = 4
    view.resize(900, 500)
    view.show()
    view.refresh()
    qtbot.waitUntil(lambda: view.model.rowCount() >= 4, timeout=10000)

    def scrolled_to_the_end() -> bool:
        view.table.scrollToBottom()
        return view.model.rowCount() == total
    qtbot.waitUntil(scrolled_to_the_end, timeout=20000)
    assert len({u.id for u in view.model.rows()}) == total
    assert view.count.text() == f"{total} users"


def test_the_auditor_reads_the_trail_in_chinese_without_codes(qtbot, qapp, live):
    """In Chinese the trail's actions, objects, outcomes and details are words: no
    `auth.login`, no `{"fields": [...]}`, no English (staff usernames are identifiers
    and stay as they are)."""
    import re
    assert i18n.set_language(qapp, "zh_CN")
    try:
        w = MainWindow(controller_for(live.url, "auditor"))
        qtbot.addWidget(w)
        assert w.audit is not None
        latin = re.compile(r"[A-Za-z]")

        def rows_read_as_words() -> None:
            for row in range(w.audit.model.rowCount()):
                for column in (2, 3, 4, 5, 6):  # action, object, outcome, where from, details
                    text = w.audit.model.data(w.audit.model.index(row, column)) or ""
                    assert not latin.search(text), (w.audit.model.row_at(row), column, text)
        qtbot.waitUntil(lambda: w.audit.model.rowCount() >= 20, timeout=10000)
        rows_read_as_words()
        for action in ("customer.update", "user.update", "auth.login"):
            w.audit.action.setCurrentIndex(w.audit.action.findData(action))
            qtbot.waitUntil(lambda a=action: w.audit.model.rowCount() > 0 and
                            all(e.action.startswith(a) for e in w.audit.model.rows()), timeout=10000)
            rows_read_as_words()
        assert not latin.search(w.audit.action.itemText(1)) and w.audit.action.count() > 20
    finally:
        i18n.set_language(qapp, "en")


def test_the_approvals_tab_shows_a_request_as_soon_as_it_is_sent(qtbot, live):
    """The maker's own window lists the request without a refresh by hand (it was empty
    until Refresh was clicked)."""
    _, username = new_teller(live.url)
    w = MainWindow(controller_for(live.url, "admin"))
    qtbot.addWidget(w)
    assert w.staff is not None and w.approvals is not None
    qtbot.waitUntil(lambda: w.staff.model.rowCount() > 0, timeout=10000)
    shown_before = w.approvals.mine_model.rowCount()
    select(qtbot, w.staff, username)
    d = w.staff.edit_selected()
    assert d is not None
    choose(d.role, "auditor")
    d.submit()
    qtbot.waitUntil(lambda: "Sent for approval" in w.staff.status.text(), timeout=10000)
    qtbot.waitUntil(lambda: any(a.summary.endswith(username) for a in w.approvals.mine_model.rows()),
                    timeout=10000)
    assert w.approvals.mine_model.rowCount() >= shown_before


def test_an_approval_reads_in_the_checkers_language(qtbot, qapp, live):
    """The request's details come from its structured details, not the server's English
    summary ("Grant auditor to …"): in Chinese, whom it concerns and the role it gives."""
    from shared.schemas import ApprovalPending

    user_id, username = new_teller(live.url)
    admin = api_as(live.url, "admin")
    version = admin.users(username)[0].version
    assert isinstance(admin.update_user(user_id, version, {"role": "auditor"}), ApprovalPending)
    assert i18n.set_language(qapp, "zh_CN")
    try:
        checker = MainWindow(controller_for(live.url, "admin2"))
        qtbot.addWidget(checker)
        view = checker.approvals
        assert view is not None
        qtbot.waitUntil(lambda: any(a.details.get("username") == username for a in view.model.rows()), timeout=10000)
        row = next(i for i, a in enumerate(view.model.rows()) if a.details.get("username") == username)
        text = view.model.data(view.model.index(row, 3))
        assert f"({username})" in text and "角色：审计员" in text and "Grant" not in text
    finally:
        i18n.set_language(qapp, "en")


def test_enter_on_a_staff_member_opens_them_for_editing(qtbot, live):
    view = staff_view(qtbot, live.url)
    view.show()
    select(qtbot, view, "teller")
    view.table.setFocus()
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    d = view.dialog
    assert d is not None and d.isVisible() and d.username.text() == "teller"
    d.reject()
