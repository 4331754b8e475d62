#!/usr/bin/env python3
"""Render the main screens offscreen to docs/screenshots/<screen>_<lang>.png, in
Simplified Chinese and English, against a real embedded server with demo data.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py
    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots.py --only second-factor

`--only second-factor`: just the second factor's screens (a small server: quick);
`--only four-eyes`: just a customer's deletion, the approvals inbox and the deleted customers.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import pypdfium2 as pdfium
from PySide6.QtCore import QCoreApplication, QEventLoop, QTimer

from client import i18n
from client.api.client import ApiClient, ApiError
from client.app import Controller
from client.main import make_qapp
from client.views.customer_form import ConflictDialog, CustomerProfileForm
from client.views.finances import BatchStatements, FinancesTab, StatementDialog
from client.views.login_dialog import LoginDialog
from client.views.main_window import MainWindow
from client.views.password_dialog import ChangePasswordDialog
from client.views.second_factor import AuthenticatorDialog, RecoveryCodesDialog
from client.views.widgets import LazyPage
from server.demo import DEMO_PASSWORD
from server.embedded import start_embedded
from server.services.mfa import otpauth_uri
from shared.schemas import CustomerQuery, TotpEnrolment

OUT = ROOT / "docs" / "screenshots"
#: A made-up secret and recovery codes for the second factor's screens (none of a real user).
DEMO_SECRET = "JBSWY3DPEHPK3PXPMFRGGZDFMZTWQ2LK"
DEMO_RECOVERY_CODES = [
    "UJZD-EGXD-NCF3-2EPF-3DHO-DZDO", "CIS2-JHTL-GMXG-EDN7-3U55-XTPL",
    "PFT7-V4SE-H2KV-J72C-EUVW-75EF", "R6ED-T4SY-WB5W-KH7D-NSIP-ZZ7F",
    "K4ZR-I3R2-WYOJ-FLJO-OA7L-QSAJ", "2XUI-D5ZZ-ZZG6-ZDME-N4KH-VDGA",
    "JGXB-ENYJ-QWX6-HH75-66TF-JGVQ", "6KBN-XJBT-FQXK-WOVO-MPZO-M7WB",
    "BR6Q-MW4W-XFOG-O6MV-N6A6-WFHY", "M6L3-VFZ5-ZFKK-IBJ5-J6WJ-IBAG",
]


def settle(ms: int = 600) -> None:
    loop = QEventLoop()
    QTimer.singleShot(ms, loop.quit)
    loop.exec()


def controller_for(url: str, username: str) -> Controller:
    api = ApiClient(url)
    api.login(username, DEMO_PASSWORD)
    return Controller(api, api.me(), api.orgs())


def searched(url: str, username: str, query: str) -> MainWindow:
    """`username`'s main window at the common branch size, the search run for `query`."""
    window = MainWindow(controller_for(url, username))
    window.resize(1366, 768)  # the common branch monitor
    window.show()
    assert window.search is not None
    window.search.query.setText(query)
    window.search.search_now()
    settle()
    return window


def finance_screens(window: MainWindow, form: CustomerProfileForm, lang: str) -> None:
    """The Finances tab of 张三丰 (the demo's full picture: two years), its parts, the
    comparison with last year, the statement previewed, its pages as printed, and the
    batch dialog."""
    lazy = next(form.tabs.widget(i) for i in range(form.tabs.count())
                if form.tabs.tabText(i) == i18n.tr("Finances"))
    assert isinstance(lazy, LazyPage)
    form.tabs.setCurrentWidget(lazy)  # built as it is first shown
    settle()
    tab = lazy.page
    assert isinstance(tab, FinancesTab)
    window.grab().save(str(OUT / f"finances_{lang}.png"))
    tab.compare_action.setChecked(True)
    tab._compare()
    settle(100)
    window.grab().save(str(OUT / f"finances_compare_{lang}.png"))
    tab.parts.setCurrentWidget(tab.income)
    settle(100)
    window.grab().save(str(OUT / f"finances_income_{lang}.png"))
    tab.compare_action.setChecked(False)
    tab._compare()
    tab.parts.setCurrentWidget(tab.household)
    settle(100)
    window.grab().save(str(OUT / f"finances_household_{lang}.png"))
    tab.parts.setCurrentWidget(tab.balance)
    window.resize(1920, 1080)
    settle(200)
    window.grab().save(str(OUT / f"finances_1920_{lang}.png"))
    window.resize(1366, 768)
    assert tab.sheet is not None and tab.table is not None
    dialog = StatementDialog(tab.controller, tab.customer_id, tab.sheet.as_of.isoformat(), tab.table.year, window)
    dialog.show()
    settle(1500)
    dialog.grab().save(str(OUT / f"statement_preview_{lang}.png"))
    dialog.close()
    pdf = tab.controller.api.statement_pdf(tab.customer_id, lang, tab.sheet.as_of.isoformat(), tab.table.year)
    document = pdfium.PdfDocument(pdf)
    for n in range(len(document)):
        document[n].render(scale=1.4).to_pil().save(str(OUT / f"statement_page{n + 1}_{lang}.png"))
    batch = BatchStatements(tab.controller, window)
    batch.folder.setText(str(Path.home() / "statements"))
    batch.show()
    settle(100)
    batch.grab().save(str(OUT / f"batch_statements_{lang}.png"))
    batch.close()


def second_factor_screens(server_url: str, lang: str) -> None:
    """The login's second step (a wrong code said; the recovery code instead), the first
    login's enrolment with its QR code, the recovery codes shown once, and "Set up a new
    authenticator" from the Session menu (the demo server asks for no second factor: the
    secret shown is made up)."""
    login = LoginDialog(server_url, "manager")
    login.show()
    login.ask_enrolment(otpauth_uri(DEMO_SECRET, "manager"))
    settle(100)
    login.grab().save(str(OUT / f"login_enrolment_{lang}.png"))
    login.back_to_password()
    login.ask_code()
    login.code_step.show_error(i18n.error_message("auth.mfa_code_invalid"))
    settle(100)
    login.grab().save(str(OUT / f"login_code_{lang}.png"))
    login.code_step.toggle_recovery()
    login.code_step.code.setText(DEMO_RECOVERY_CODES[0][:9])
    settle(100)
    login.grab().save(str(OUT / f"login_recovery_code_{lang}.png"))
    codes = RecoveryCodesDialog(DEMO_RECOVERY_CODES, "manager", server_url, login)
    codes.show()
    settle(100)
    codes.grab().save(str(OUT / f"recovery_codes_{lang}.png"))
    codes.stored.setChecked(True)
    codes.accept()
    login.close()
    window = MainWindow(controller_for(server_url, "manager"))
    window.resize(1366, 768)
    window.show()
    dialog = AuthenticatorDialog(window.controller, None, window)
    dialog.ask_code(True)
    dialog.show()
    settle(100)
    dialog.grab().save(str(OUT / f"authenticator_confirm_{lang}.png"))
    dialog.show_enrolment(TotpEnrolment(otpauth_uri=otpauth_uri(DEMO_SECRET, "manager"), secret=DEMO_SECRET))
    settle(100)
    dialog.grab().save(str(OUT / f"authenticator_new_{lang}.png"))
    dialog.close()
    window.close()


def four_eyes_screens(server_url: str, lang: str) -> None:
    """A customer's deletion (issue 15): the two confirmations, the checker's "To decide"
    with the request as a diff and its count in the tab title, the maker's "My
    requests", and the deleted customers a branch manager may bring back. Leaves the
    demo as it was (the request rejected, the customer brought back)."""
    maker = ApiClient(server_url)
    maker.login("manager", DEMO_PASSWORD)
    customer = maker.search_customers(CustomerQuery(manager_id=maker.me().user.id)).items[-1]
    window = MainWindow(controller_for(server_url, "manager"))
    window.resize(1366, 768)
    window.show()
    form = window.open_customer(customer.id)
    settle()
    first = form.request_delete()
    assert first is not None
    first.reason_edit.setText("客户已销户并迁出本行" if lang == "zh_CN" else "The customer closed all accounts")
    settle(100)
    first.grab().save(str(OUT / f"delete_reason_{lang}.png"))
    first.accept()
    settle(100)
    assert form.delete_confirm is not None
    form.delete_confirm.grab().save(str(OUT / f"delete_confirm_{lang}.png"))
    form.delete_confirm.done(0)
    form.delete_confirm.close()
    form._send_delete(first.reason())
    settle()
    window.grab().save(str(OUT / f"delete_requested_{lang}.png"))
    assert window.approvals is not None
    window.tabs.setCurrentWidget(window.approvals)
    settle()
    window.grab().save(str(OUT / f"my_requests_{lang}.png"))
    window.close()
    checker = MainWindow(controller_for(server_url, "president"))
    checker.resize(1366, 768)
    checker.show()
    assert checker.approvals is not None
    checker.tabs.setCurrentWidget(checker.approvals)
    settle()
    request = next(a for a in checker.approvals.model.rows() if a.object_id == str(customer.id))
    checker.approvals.select_request(request.id)
    settle(100)
    checker.grab().save(str(OUT / f"approvals_delete_{lang}.png"))
    checker.approvals.decide(True)
    settle()
    archive = checker.open_archive()
    assert archive is not None
    settle()
    archive.select_customer(customer.id)
    checker.grab().save(str(OUT / f"deleted_customers_{lang}.png"))
    box = archive.confirm_restore()
    assert box is not None
    settle(100)
    box.grab().save(str(OUT / f"restore_confirm_{lang}.png"))
    box.close()
    checker.controller.api.restore_customer(customer.id)  # leave the demo as it was
    checker.close()


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(description="Render the client's screens to docs/screenshots")
    p.add_argument("--only", choices=["second-factor", "four-eyes"], help="just these screens")
    args = p.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    qapp = make_qapp("en")
    if args.only == "four-eyes":
        small = start_embedded(Path(tempfile.mkdtemp()), customers=20)
        try:
            for lang in ("zh_CN", "en"):
                i18n.set_language(qapp, lang)
                four_eyes_screens(small.url, lang)
        finally:
            small.stop()
        print("wrote", sorted(p.name for p in OUT.glob("*.png") if p.name.startswith(
            ("delete_", "my_requests_", "approvals_delete_", "deleted_customers_", "restore_confirm_"))))
        return
    if args.only == "second-factor":
        small = start_embedded(Path(tempfile.mkdtemp()), customers=20)
        try:
            for lang in ("zh_CN", "en"):
                i18n.set_language(qapp, lang)
                second_factor_screens(small.url, lang)
        finally:
            small.stop()
        print("wrote", sorted(p.name for p in OUT.glob("*.png")
                              if p.name.startswith(("login_", "recovery_", "authenticator_"))))
        return
    server = start_embedded(Path(tempfile.mkdtemp()), customers=120)
    try:
        for lang in ("zh_CN", "en"):
            i18n.set_language(qapp, lang)
            login = LoginDialog(server.url, "manager")
            login.password.setText("secret-password")
            login.show()
            settle(100)
            login.grab().save(str(OUT / f"login_{lang}.png"))
            # too many failed attempts: the wait counted down, Log in held back
            login.show_problem(ApiError(429, "auth.throttled", body={"retry_after": 42}))
            settle(100)
            login.grab().save(str(OUT / f"login_throttled_{lang}.png"))
            login.close()
            second_factor_screens(server.url, lang)
            four_eyes_screens(server.url, lang)

            window = searched(server.url, "manager", "zh")
            assert window.search is not None
            window.grab().save(str(OUT / f"search_{lang}.png"))

            rows = [window.search.model.customer_at(i) for i in range(window.search.model.rowCount())]
            own = next(c for c in rows if c.name == "张三丰")  # in the manager's own book: unmasked
            form = window.open_customer(own.id)
            settle()
            form.inputs["id_number"].setText(form.inputs["id_number"].text()[:17] + "0")  # type: ignore[attr-defined]
            form._field_changed("id_number")
            form.inputs["phone"].setText("1391234")  # type: ignore[attr-defined]
            form._field_changed("phone")
            settle(100)
            window.grab().save(str(OUT / f"customer_form_{lang}.png"))
            form.set_values(form.loaded)
            form.status.clear()
            window.resize(1920, 1080)
            settle(200)
            window.grab().save(str(OUT / f"customer_1920_{lang}.png"))
            window.resize(1366, 768)
            form.tabs.setCurrentWidget(form.history)
            settle(100)
            window.grab().save(str(OUT / f"history_{lang}.png"))
            finance_screens(window, form, lang)
            record = form.values()
            theirs = dict(record, occupation="医生", address="杭州市上城区庆春路88号")
            dialog = ConflictDialog(dict(record, occupation="教师"), theirs)
            dialog.show()
            settle(100)
            dialog.grab().save(str(OUT / f"conflict_{lang}.png"))
            dialog.close()
            form.set_values(form.loaded)
            form.tabs.setCurrentIndex(0)

            # a new customer: the required marks of the empty fields; a duplicate resident ID
            new = window.open_customer(None)
            settle(100)
            window.grab().save(str(OUT / f"new_customer_{lang}.png"))
            new.inputs["name"].setText("张三丰")  # type: ignore[attr-defined]
            new.inputs["id_number"].setText(form.loaded["id_number"])  # type: ignore[attr-defined]
            new._field_changed("id_number")
            new.save()
            settle(800)
            window.grab().save(str(OUT / f"duplicate_{lang}.png"))
            new.set_values(new.loaded)
            window.close_tab(window.tabs.indexOf(new))

            # a new corporate customer with a mistyped credit code
            corp = window.open_customer(None)
            kind = corp.inputs["type"]
            kind.setCurrentIndex(kind.findData("corporate"))  # type: ignore[attr-defined]
            corp.inputs["name"].setText("杭州明达科技有限公司")  # type: ignore[attr-defined]
            corp.inputs["uscc"].setText("91330100MA2B3C4D5X")  # type: ignore[attr-defined]
            corp._field_changed("uscc")
            settle(100)
            window.grab().save(str(OUT / f"new_corporate_{lang}.png"))
            corp.set_values(corp.loaded)
            window.close_tab(window.tabs.indexOf(corp))

            # corporate customers listed with their own columns
            assert window.search is not None
            window.tabs.setCurrentWidget(window.search)
            window.search.query.clear()
            window.search.kind.setCurrentIndex(window.search.kind.findData("corporate"))
            settle()
            window.grab().save(str(OUT / f"search_corporate_{lang}.png"))
            shortcuts = window.show_shortcuts()
            settle(100)
            shortcuts.grab().save(str(OUT / f"shortcuts_{lang}.png"))
            shortcuts.close()
            window.close()

            # the teller sees the same customer masked: ID and phone masked, the age for the birth date
            counter = searched(server.url, "teller", "张三丰")
            assert counter.search is not None
            masked = counter.open_customer(counter.search.model.customer_at(0).id)
            settle()
            assert masked.masked, "the teller's view of a customer is masked"
            counter.grab().save(str(OUT / f"customer_masked_{lang}.png"))
            counter.close()

            # the branch manager sees the same customer with the account manager to choose
            president = searched(server.url, "president", "张三丰")
            assert president.search is not None
            president.open_customer(president.search.model.customer_at(0).id)
            settle()
            president.grab().save(str(OUT / f"customer_branch_manager_{lang}.png"))
            president.close()

            admin = MainWindow(controller_for(server.url, "admin"))
            admin.resize(1366, 768)
            admin.show()
            assert admin.org_tree is not None
            admin.tabs.setCurrentWidget(admin.org_tree)
            settle(200)
            admin.grab().save(str(OUT / f"organisations_{lang}.png"))
            assert admin.staff is not None
            admin.tabs.setCurrentWidget(admin.staff)
            settle()
            admin.staff.select_user("teller")
            admin.grab().save(str(OUT / f"staff_{lang}.png"))
            dialog = admin.staff.create_user()
            dialog.username.setText("q")
            dialog.display_name.setText("钱多多")
            dialog.role.setCurrentIndex(dialog.role.findData("auditor"))
            dialog.password.first.setText("password1234")
            dialog.password.check()
            settle(100)
            dialog.grab().save(str(OUT / f"user_dialog_{lang}.png"))
            dialog.close()
            assert admin.org_tree is not None
            admin.org_tree.select_org("城东支行")
            org_dialog = admin.org_tree.create_org()
            assert org_dialog is not None
            org_dialog.name.setText("城东支行湖滨分理处")
            org_dialog.submit()  # no code: the field says so
            settle(100)
            org_dialog.grab().save(str(OUT / f"org_dialog_{lang}.png"))
            org_dialog.reject()
            admin.close()

            # a privileged role asked for by one admin waits for the other
            maker = ApiClient(server.url)
            maker.login("admin", DEMO_PASSWORD)
            teller = next(u for u in maker.users("teller") if u.username == "teller")
            maker.update_user(teller.id, teller.version, {"role": "auditor"})
            checker = MainWindow(controller_for(server.url, "admin2"))
            checker.resize(1366, 768)
            checker.show()
            assert checker.approvals is not None
            checker.tabs.setCurrentWidget(checker.approvals)
            settle()
            checker.grab().save(str(OUT / f"approvals_{lang}.png"))
            checker.approvals.reason.setText("demo")  # a rejection needs a reason
            checker.approvals.decide(False)  # leave the demo as it was
            settle()
            change = ChangePasswordDialog("manager")
            change.old.setText("secret-password")
            change.new.first.setText("zhang")
            change.new.second.setText("zhan")
            change.new.check()
            change.show()
            settle(100)
            change.grab().save(str(OUT / f"change_password_{lang}.png"))
            change.close()
            checker.close()

            auditor = MainWindow(controller_for(server.url, "auditor"))
            auditor.resize(1366, 768)
            auditor.show()
            assert auditor.audit is not None
            auditor.tabs.setCurrentWidget(auditor.audit)
            auditor.audit.action.setCurrentIndex(auditor.audit.action.findData("customer.update"))
            auditor.audit.refresh()
            settle()
            auditor.audit.table.selectRow(0)
            settle()
            auditor.grab().save(str(OUT / f"audit_{lang}.png"))
            auditor.close()
            QCoreApplication.processEvents()
    finally:
        server.stop()
    print("wrote", sorted(p.name for p in OUT.glob("*.png")))


if __name__ == "__main__":
    main()
