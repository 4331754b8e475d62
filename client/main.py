"""`crm-client [--server URL] [--ca-file PEM] [--lang zh_CN|en] [--wait-for-server]`."""
from __future__ import annotations

import argparse
import sys
import time

import httpx
from PySide6.QtCore import QObject, QSettings
from PySide6.QtWidgets import QApplication, QMessageBox

from client import i18n
from client.api.client import ApiClient, ApiError
from client.api.tasks import TaskRunner
from client.app import (
    Controller,
    Opened,
    PendingLogin,
    keyring_available,
    open_session,
    remember_device_token,
    remember_token,
    remembered_device_token,
    remembered_token,
)
from client.i18n import error_message, tr
from client.views.login_dialog import LoginDialog
from client.views.main_window import MainWindow
from client.views.password_dialog import ChangePasswordDialog
from client.views.second_factor import RecoveryCodesDialog
from client.watchdog import UiWatchdog
from shared.schemas import LoginResponse

DEFAULT_SERVER = "http://127.0.0.1:8765"


class Application(QObject):
    """Login, then the main window; logs in again when the session ends. `transport` goes
    to every API client it makes (tests watch or delay requests with it). `ca_file`: the
    CA certificates an https:// server must chain to (else the `ca_file` setting, else
    the system's trust store; docs/API.md, "TLS")."""

    def __init__(self, qapp: QApplication, server: str | None = None,
                 transport: httpx.BaseTransport | None = None, ca_file: str | None = None) -> None:
        super().__init__()
        self.qapp = qapp
        self.transport = transport
        self.settings = QSettings("BranchCRM", "client")
        self.server = server or str(self.settings.value("server", DEFAULT_SERVER))
        self.ca_file = str(self.settings.value("ca_file", "") if ca_file is None else ca_file) or None
        self.tasks = TaskRunner(self)
        self.api: ApiClient | None = None
        self.window: MainWindow | None = None
        self.controller: Controller | None = None
        self.login_dialog: LoginDialog | None = None
        self.password_dialog: ChangePasswordDialog | None = None
        self.recovery_dialog: RecoveryCodesDialog | None = None
        #: a login whose password was right, waiting for its second factor
        self._pending: PendingLogin | None = None
        self._relogin = False

    # ------------------------------------------------------------------ login
    def start(self) -> None:
        username = str(self.settings.value("username", ""))
        token = remembered_token(self.server, username) if username and keyring_available() else None
        if token:
            api = self._api(self.server)
            api.token = token
            self.tasks.run(lambda: (api.me(), api.orgs()), lambda r: self._logged_in(api, *r),
                           lambda _e: self.show_login())
        else:
            self.show_login()

    def _api(self, server: str) -> ApiClient:
        return ApiClient(server, transport=self.transport, ca_file=self.ca_file)

    def show_login(self, message: str = "", username: str | None = None) -> LoginDialog:
        """`username`: who is asked to log in again (else the one remembered, if any)."""
        if username is None:
            username = str(self.settings.value("username", ""))
        d = LoginDialog(self.server, username, keyring_available())
        d.submitted.connect(self._submit)
        d.code_submitted.connect(self._send_code)
        if message:
            d.show_error(message)
        d.show()
        self.login_dialog = d
        return d

    def _submit(self, server: str, username: str, password: str, remember: bool) -> None:
        api = self.api if self._relogin and self.api and self.api.base_url == server.rstrip("/") \
            else self._api(server)
        device_token = remembered_device_token(self.settings, api.base_url, username)
        login = PendingLogin(api, server, username, password, remember, device_token, "")
        self._pending = None

        def ok(answer: Opened | LoginResponse) -> None:
            if isinstance(answer, Opened):
                self._opened(login, answer)
                return
            # the password was right: the second factor follows, in the same dialog
            self._pending = PendingLogin(api, server, username, password, remember, device_token,
                                         answer.mfa_token or "")
            if self.login_dialog is not None:
                if answer.mfa_enrolment_required:
                    self.login_dialog.ask_enrolment(answer.otpauth_uri or "")
                else:
                    self.login_dialog.ask_code()

        self.tasks.run(lambda: open_session(api, api.login(username, password, device_token)), ok,
                       self._login_failed)

    def _send_code(self, code: str) -> None:
        """The second step: the code (or a recovery code) with the challenge's token."""
        login = self._pending
        if login is None:
            return

        def ok(answer: Opened | LoginResponse) -> None:
            assert isinstance(answer, Opened)  # /auth/totp answers a session or an error
            self._pending = None
            self._opened(login, answer)

        api = login.api
        self.tasks.run(lambda: open_session(api, api.totp(login.mfa_token, code)), ok, self._login_failed)

    def _login_failed(self, e: ApiError) -> None:
        if self.login_dialog is not None:
            self.login_dialog.show_problem(e)

    def _opened(self, login: PendingLogin, opened: Opened) -> None:
        """A login's session: the device token kept; a first enrolment's recovery codes
        shown (the user must say they stored them); then the main window, or the forced
        password change first."""
        issued = opened.device_token
        if issued and issued != login.device_token:  # first login here, or the old one was no longer valid
            remember_device_token(self.settings, login.api.base_url, login.username, issued)
        if opened.recovery_codes:
            d = RecoveryCodesDialog(opened.recovery_codes, login.username, login.api.base_url, self.login_dialog)
            d.accepted.connect(lambda: self._opened(login, Opened(None, opened.result)))  # (the token is kept)
            self.recovery_dialog = d
            d.open()
            return
        if opened.result is None:  # nothing else is reachable until the password is changed
            self._forced_password_change(login.api, login.server, login.username, login.password, login.remember)
        else:
            self._accepted(login.api, login.server, login.username, login.remember, opened.result)

    def _accepted(self, api: ApiClient, server: str, username: str, remember: bool, result) -> None:  # type: ignore[no-untyped-def]
        d = self.login_dialog
        assert d is not None
        self.settings.setValue("server", server)
        self.settings.setValue("ca_file", self.ca_file or "")  # with the server it vouched for
        self.settings.setValue("username", username if d.remember_username.isChecked() else "")
        if remember and keyring_available():
            remember_token(server, username, api.token)
        d.accept()
        self._logged_in(api, *result)

    def _forced_password_change(self, api: ApiClient, server: str, username: str, password: str,
                                remember: bool) -> ChangePasswordDialog:
        """An admin reset the password: the user chooses their own before anything else."""
        d = ChangePasswordDialog(username, old_password=password, parent=self.login_dialog)

        def work(new: str):  # type: ignore[no-untyped-def]
            api.change_password(password, new)
            return api.me(), api.orgs()

        def ok(result) -> None:  # type: ignore[no-untyped-def]
            d.accept()
            self._accepted(api, server, username, remember, result)

        d.submitted.connect(lambda _old, new, _code: self.tasks.run(lambda: work(new), ok, d.failed))
        def cancelled() -> None:
            if self.login_dialog is not None:
                self.login_dialog.show_error(tr("Change your password first"))
        d.rejected.connect(cancelled)
        self.password_dialog = d
        d.open()
        return d

    def change_password(self) -> ChangePasswordDialog | None:
        """Session menu: the new session's token replaces the old one (and the remembered one)."""
        if self.controller is None:
            return None
        controller = self.controller
        username = controller.me.user.username
        # the second factor's code is asked up front where this session was opened with one
        d = ChangePasswordDialog(username, parent=self.window, ask_code=controller.api.second_factor)

        def ok(_result) -> None:  # type: ignore[no-untyped-def]
            d.accept()
            if remembered_token(self.server, username):
                remember_token(self.server, username, controller.api.token)
            if self.window is not None:
                self.window.statusBar().showMessage(tr("Your password has been changed."), 10000)

        d.submitted.connect(lambda old, new, code: controller.call(
            lambda api: api.change_password(old, new, code or None), ok, d.failed, owner=d))
        self.password_dialog = d
        d.open()
        return d

    def _logged_in(self, api: ApiClient, me, orgs) -> None:  # type: ignore[no-untyped-def]
        if self._relogin and self.controller is not None and me.user.id == self.controller.me.user.id:
            self._relogin = False  # same user: the open forms carry on with the new token
            self.controller.api = api
            return
        if self.window is not None and self._relogin and not self._may_drop_unsaved(self.window):
            api.logout()  # not now: the previous user may log in again and save
            assert self.controller is not None
            self.show_login(error_message("auth.required"), self.controller.me.user.username)
            return
        self._relogin = False
        if self.window is not None:  # someone else logged in: the previous user's screens go, unseen
            old, self.window = self.window, None
            old.hide()
            old.deleteLater()
        self.api = api
        self.controller = Controller(api, me, orgs)
        self.controller.session_ended.connect(self._session_ended)
        self.window = MainWindow(self.controller)
        self._connect(self.window)
        self.window.show()
        if self.window.search is not None:
            self.window.search.query.setFocus()
            self.window.search.search_now()

    def _connect(self, window: MainWindow) -> None:
        window.logout_requested.connect(self.logout)
        window.language_requested.connect(self.switch_language)
        window.password_change_requested.connect(self.change_password)

    def _session_ended(self) -> None:
        if not self._relogin:
            self._relogin = True
            assert self.controller is not None
            self.show_login(error_message("auth.required"), self.controller.me.user.username)

    def _may_drop_unsaved(self, window: MainWindow) -> bool:
        """Another user logs in while forms of the one whose session ended hold unsaved
        edits: say so (how many, not what) and let them be kept for that user."""
        unsaved = sum(1 for f in window.forms() if f.is_dirty())
        if not unsaved:
            return True
        answer = QMessageBox.question(
            self.login_dialog, tr("Unsaved changes"),
            tr("Open forms of the user logged in before hold unsaved changes (%1). Log in as someone else "
               "and discard them?").replace("%1", str(unsaved)),
            QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Discard

    def logout(self) -> None:
        if self.controller is not None:
            self.controller.logout()
            remember_token(self.server, str(self.settings.value("username", "")), None)
        if self.window is not None:
            self.window.hide()
            self.window.deleteLater()
            self.window = None
        self.controller = None
        self.show_login()

    def switch_language(self, lang: str) -> None:
        """Rebuild the main window in the other language (open forms must be saved first)."""
        if self.window is None or not all(f.confirm_close() for f in self.window.forms()):
            return
        i18n.set_language(self.qapp, lang)
        self.settings.setValue("language", lang)
        assert self.controller is not None
        old = self.window
        self.window = MainWindow(self.controller)
        self._connect(self.window)
        self.window.show()
        old.hide()
        old.deleteLater()


def wait_for_server(url: str, seconds: float = 30, ca_file: str | None = None) -> bool:
    api = ApiClient(url, ca_file=ca_file)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if api.healthy():
            return True
        time.sleep(0.5)
    return False


def make_qapp(lang: str | None = None) -> QApplication:
    qapp = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(qapp, QApplication)
    qapp.setApplicationName("Branch CRM")
    i18n.install_font(qapp)
    settings = QSettings("BranchCRM", "client")
    i18n.set_language(qapp, lang or str(settings.value("language", i18n.default_language())))
    return qapp


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="crm-client", description="Branch CRM desktop client")
    p.add_argument("--server", help=f"server address (default: the last used, else {DEFAULT_SERVER})")
    p.add_argument("--ca-file", help="CA certificates (PEM) the https:// server's certificate must chain to, "
                                     "instead of the system's trust store (default: the last used; \"\": the "
                                     "system's)")
    p.add_argument("--lang", choices=sorted(i18n.LANGUAGES), help="interface language")
    p.add_argument("--wait-for-server", action="store_true", help="wait up to 30 s for the server to answer")
    args = p.parse_args(argv)
    if args.wait_for_server and args.server:
        wait_for_server(args.server, ca_file=args.ca_file if args.ca_file is not None
                        else str(QSettings("BranchCRM", "client").value("ca_file", "")) or None)
    qapp = make_qapp(args.lang)
    app = Application(qapp, args.server, ca_file=args.ca_file)
    # a stall staff would feel lands in the log (where IT looks when someone says "it froze")
    watchdog = UiWatchdog(interval_ms=50, report_over_ms=250, parent=qapp)
    watchdog.start()
    app.start()
    return qapp.exec()


if __name__ == "__main__":
    sys.exit(main())
