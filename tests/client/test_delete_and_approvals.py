"""Four-eyes deletion of a customer and the approvals inbox (issue 15, Client) on real
widgets against a real server: the deletion is confirmed twice and sent once; the
branch's checker finds it under "To decide" (counted in the tab title) and approves it;
the maker follows it under "My requests"; the payload reads as a diff."""
from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from client.api.client import ApiError
from client.i18n import error_message
from client.views.approvals_view import approval_diff
from client.views.customer_form import CustomerProfileForm
from client.views.main_window import MainWindow
from shared.schemas import ActorRead, ApprovalRead, CustomerQuery
from tests.client.conftest import WatchedTransport, api_as, controller_for
from tests.server.conftest import id_number

_serial = itertools.count(500)


def new_customer(url: str) -> tuple[int, str, str]:
    """A customer of the demo's account manager `manager` (branch 1): id, name, number."""
    api = api_as(url, "manager")
    me = api.me()
    seq = next(_serial)
    born = f"1979{seq % 12 + 1:02d}09"
    c = api.create_customer({"name": f"删除测试{uuid.uuid4().hex[:4]}", "gender": "female",
                             "birth_date": f"1979-{seq % 12 + 1:02d}-09",
                             "id_number": id_number("330102", born, seq, False),
                             "org_id": me.user.org_id, "manager_id": me.user.id})
    return c.id, c.name, c.customer_no


def opened_form(qtbot, url: str, cid: int, transport: WatchedTransport) -> CustomerProfileForm:  # type: ignore[no-untyped-def]
    form = CustomerProfileForm(controller_for(url, "manager", transport), cid)
    qtbot.addWidget(form)
    form.show()
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    return form


def destructive(box: QMessageBox):  # type: ignore[no-untyped-def]
    return next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.DestructiveRole)


def deletes_sent(transport: WatchedTransport, cid: int) -> int:
    return len(transport.sent("DELETE", f"/api/v1/customers/{cid}"))


def request_deletion(qtbot, form: CustomerProfileForm, reason: str) -> QMessageBox:  # type: ignore[no-untyped-def]
    d = form.request_delete()
    assert d is not None and d.isVisible()
    assert not d.next_button.isEnabled()  # a reason is required
    d.reason_edit.setText(reason)
    assert d.next_button.isEnabled()
    qtbot.mouseClick(d.next_button, Qt.MouseButton.LeftButton)
    box = form.delete_confirm
    assert box is not None and box.isVisible()
    return box


def test_deleting_is_confirmed_twice_and_sends_one_request(qtbot, live):
    cid, name, number = new_customer(live.url)
    transport = WatchedTransport()
    form = opened_form(qtbot, live.url, cid, transport)
    assert form.delete_action.isVisible() and form.delete_action.isEnabled()

    # cancelled at the first step: nothing sent, no second question
    d = form.request_delete()
    assert d is not None
    d.reason_edit.setText("客户要求注销")
    d.reject()
    assert form.delete_confirm is None

    # cancelled at the second step, which names the customer; Cancel is the default
    box = request_deletion(qtbot, form, "客户要求注销")
    assert name in box.text() and number in box.text()
    assert box.defaultButton() is box.button(QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    assert deletes_sent(transport, cid) == 0

    # both confirmed: one request, with the form's version and the reason
    box = request_deletion(qtbot, form, "客户要求注销")
    qtbot.mouseClick(destructive(box), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.status.text() == "Deletion requested: waiting for a checker", timeout=10000)
    assert deletes_sent(transport, cid) == 1
    assert form.isVisible()
    assert api_as(live.url, "manager").customer(cid).id == cid  # nothing deleted yet
    pending = [a for a in api_as(live.url, "president").approvals("pending")
               if a.kind == "customer.delete" and a.object_id == str(cid)]
    assert len(pending) == 1 and pending[0].details["reason"] == "客户要求注销"

    # asked again while the first waits: the one error path says so
    box = request_deletion(qtbot, form, "再次申请")
    qtbot.mouseClick(destructive(box), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.status.text() == error_message("customer.delete.pending"), timeout=10000)
    assert deletes_sent(transport, cid) == 2


def test_a_stale_version_goes_through_the_one_error_path(qtbot, live):
    cid, _name, _number = new_customer(live.url)
    transport = WatchedTransport()
    form = opened_form(qtbot, live.url, cid, transport)
    other = api_as(live.url, "manager")  # someone saves the customer meanwhile
    other.update_customer(cid, other.customer(cid).version, {"occupation": "教师"})
    box = request_deletion(qtbot, form, "客户要求注销")
    qtbot.mouseClick(destructive(box), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: form.status.text().startswith(error_message("resource.version_conflict")), timeout=10000)
    assert "Reload the customer" in form.status.text()
    assert not [a for a in api_as(live.url, "president").approvals("pending") if a.object_id == str(cid)]


def test_a_teller_gets_no_delete_action(qtbot, live):
    teller = api_as(live.url, "teller")
    cid = teller.search_customers(CustomerQuery()).items[0].id
    form = CustomerProfileForm(controller_for(live.url, "teller"), cid)
    qtbot.addWidget(form)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    assert not form.delete_action.isVisible() and form.request_delete() is None


def test_the_checker_approves_and_the_maker_sees_it_approved(qtbot, live):
    cid, _name, number = new_customer(live.url)
    maker = api_as(live.url, "manager")
    maker.delete_customer(cid, maker.customer(cid).version, "重复客户")

    w = MainWindow(controller_for(live.url, "president"))
    qtbot.addWidget(w)
    view = w.approvals
    assert view is not None and view.lists.currentWidget() is view.table

    def listed() -> ApprovalRead | None:
        return next((a for a in view.model.rows() if a.kind == "customer.delete" and a.object_id == str(cid)), None)
    qtbot.waitUntil(lambda: listed() is not None and view.to_decide_count is not None, timeout=10000)
    count = view.to_decide_count
    assert count is not None and count >= 1
    index = w.tabs.indexOf(view)
    assert w.tabs.tabText(index) == f"Approvals ({count})"
    assert view.lists.tabText(0) == f"To decide ({count})"
    a = listed()
    assert a is not None and view.select_request(a.id)
    assert number in view.diff.text() and "重复客户" in view.diff.text() and "城东支行" in view.diff.text()

    qtbot.mouseClick(view.reject_button, Qt.MouseButton.LeftButton)  # a rejection needs a reason
    assert "reason" in view.status.text() and listed() is not None
    qtbot.mouseClick(view.approve_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text().startswith("Approved"), timeout=10000)
    qtbot.waitUntil(lambda: view.to_decide_count == count - 1 and listed() is None, timeout=10000)
    assert w.tabs.tabText(index) == (f"Approvals ({count - 1})" if count > 1 else "Approvals")

    president = api_as(live.url, "president")
    assert president.search_customers(CustomerQuery(q=number)).total == 0
    with pytest.raises(ApiError) as exc:
        president.customer(cid)
    assert exc.value.status == 404

    mine = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(mine)
    inbox = mine.approvals
    assert inbox is not None and inbox.lists.count() == 1 and inbox.lists.currentWidget() is inbox.mine_table
    assert not inbox.approve_button.isVisibleTo(inbox)
    qtbot.waitUntil(lambda: any(r.object_id == str(cid) and r.status == "approved"
                                for r in inbox.mine_model.rows()), timeout=10000)
    row = next(r for r in inbox.mine_model.rows() if r.object_id == str(cid))
    assert inbox.select_request(row.id)
    assert "Approved by 陈国华" in inbox.diff.text()


def test_the_count_follows_a_request_the_user_sends(qtbot, live):
    """A maker's own window counts their pending requests as soon as one is sent."""
    cid, _name, _number = new_customer(live.url)
    w = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(w)
    view = w.approvals
    assert view is not None
    assert view.timer.isActive() and view.timer.interval() == 60_000  # the counts again each minute
    qtbot.waitUntil(lambda: view.mine_count is not None, timeout=10000)
    before = view.mine_count
    assert before is not None
    form = w.open_customer(cid)
    qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    box = request_deletion(qtbot, form, "客户已迁出")
    qtbot.mouseClick(destructive(box), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.mine_count == before + 1, timeout=10000)
    assert w.tabs.tabText(w.tabs.indexOf(view)) == f"Approvals ({before + 1})"
    qtbot.waitUntil(lambda: any(a.object_id == str(cid) for a in view.mine_model.rows()), timeout=10000)


def _approval(kind: str, details: dict[str, object]) -> ApprovalRead:
    actor = ActorRead(id=99, username="manager", display_name="刘晓燕")
    return ApprovalRead(id=1, kind=kind, status="pending", summary="(English)", maker=actor,
                        created_at=datetime.now(UTC), object_type="customer", object_id="7", details=details,
                        version=1)


def test_the_diff_names_the_customer_and_the_from_and_to_values(live):
    orgs = {o.id: o.name for o in api_as(live.url, "admin").orgs()}
    east = next(i for i, n in orgs.items() if n == "城东支行")
    west = next(i for i, n in orgs.items() if n != "城东支行" and n.endswith("支行"))
    deletion = approval_diff(_approval("customer.delete", {"customer_no": "C0000000001", "org_id": east,
                                                           "manager_id": 5, "reason": "重复客户"}),
                             orgs, {5: "刘晓燕"})
    assert deletion == "Delete customer C0000000001 (城东支行, 刘晓燕) — reason: 重复客户"
    move = approval_diff(_approval("customer.reassign", {
        "customer_no": "C0000000002", "org_id_from": str(east), "org_id_to": str(west),
        "manager_id_from": "5", "manager_id_to": None}), orgs, {5: "刘晓燕"})
    assert move.splitlines() == ["Reassign customer C0000000002", f"Branch: 城东支行 → {orgs[west]}",
                                 "Account manager: 刘晓燕 → (none)"]
    change = approval_diff(ApprovalRead(
        id=2, kind="user.update", status="pending", summary="", maker=ActorRead(id=1, username="a", display_name="A"),
        created_at=datetime.now(UTC), object_type="user", object_id="3", version=1,
        details={"user_id": 3, "username": "teller", "display_name": "王芳", "role": "teller", "org_id": east,
                 "new_role": "auditor"}), orgs)
    assert change.splitlines() == ["Change a user: 王芳 (teller)", "Role: Teller → Auditor"]


def test_a_branch_manager_brings_a_deleted_customer_back(qtbot, live):
    cid, name, number = new_customer(live.url)
    maker, checker = api_as(live.url, "manager"), api_as(live.url, "president")
    aid = maker.delete_customer(cid, maker.customer(cid).version, "误删测试").approval_id
    approval = next(a for a in checker.approvals("pending") if a.id == aid)
    checker.decide_approval(aid, approval.version, True)

    transport = WatchedTransport()
    w = MainWindow(controller_for(live.url, "president", transport))
    qtbot.addWidget(w)
    assert "Deleted customers" not in w.tab_titles()  # opened from the View menu, not a home tab
    archive = w.open_archive()
    assert archive is not None and w.tabs.currentWidget() is archive
    archive.query.setText(number)
    archive.refresh()
    qtbot.waitUntil(lambda: archive.select_customer(cid), timeout=10000)
    row = archive.selected()
    assert row is not None and row.reason == "误删测试" and row.requested_by is not None
    assert archive.restore_button.isVisibleTo(archive) and archive.restore_button.isEnabled()

    box = archive.confirm_restore()  # cancelled: nothing sent
    assert box is not None and name in box.text() and box.defaultButton() is box.button(
        QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(box.button(QMessageBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    qtbot.wait(200)
    restore_path = f"/api/v1/archive/customers/{cid}/restore"
    assert not transport.sent("POST", restore_path)

    box = archive.confirm_restore()
    assert box is not None
    qtbot.mouseClick(next(b for b in box.buttons() if box.buttonRole(b) == QMessageBox.ButtonRole.AcceptRole),
                     Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: archive.status.text().startswith("Brought back"), timeout=10000)
    assert len(transport.sent("POST", restore_path)) == 1
    assert checker.customer(cid).customer_no == number
    qtbot.waitUntil(lambda: not archive.select_customer(cid), timeout=10000)


def test_the_auditor_reads_the_archive_without_bringing_back(qtbot, live):
    w = MainWindow(controller_for(live.url, "auditor"))
    qtbot.addWidget(w)
    archive = w.open_archive()
    assert archive is not None and not archive.restore_button.isVisibleTo(archive)
    teller = MainWindow(controller_for(live.url, "teller"))
    qtbot.addWidget(teller)
    assert teller.open_archive() is None
