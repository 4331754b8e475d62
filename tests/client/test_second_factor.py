"""The second factor in the desktop client (CONTRACT.md, Login; docs/API.md, "Second
factor"): the login's code step, the first login's enrolment with the QR code of the
server's `otpauth://` URI, the recovery codes shown once, a new authenticator from the
Session menu, and the password change that asks for the code.

Real widgets against a real embedded server whose account managers, tellers and branch
managers need a second factor. Codes are computed from the secret the screen shows, as
an authenticator app would (pyotp). Only the server's clock is moved (`ServerClock`):
the server takes each 30-second step's code once, so each code a test sends falls in a
step of its own, and a login step can be let expire."""
from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import segno
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QDialogButtonBox

import server.services.auth as auth_service
from client.api.client import ApiClient, ApiError
from client.app import DEVICE_KEYRING_SERVICE
from client.i18n import error_message
from client.main import Application
from client.views.login_dialog import LoginDialog
from client.views.second_factor import QUIET_ZONE, RecoveryCodesDialog, secret_of
from server.demo import DEMO_PASSWORD
from server.embedded import EmbeddedServer, start_embedded
from server.services import mfa
from tests.desktop import MemoryKeyring

MFA_ROLES = "teller,account_manager,branch_manager"
RECOVERY_CODE = re.compile(r"[A-Z2-7]{4}(-[A-Z2-7]{4}){3,}")


class ServerClock:
    """The embedded server's clock (services/auth.py and services/mfa.py read it): the
    real time plus an offset the test moves on."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)

    def code(self, secret: str) -> str:
        """What the authenticator app shows, a step after the last code sent."""
        self.advance(30)
        return pyotp.TOTP(secret).at(self())

    def wrong(self, secret: str) -> str:
        """A code of no step near now."""
        now = self()
        near = {pyotp.TOTP(secret).at(now + timedelta(seconds=30 * d)) for d in range(-3, 4)}
        return next(c for c in (f"{n:06d}" for n in range(123456, 999999, 7919)) if c not in near)


@pytest.fixture(scope="module")
def mfa_live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedServer]:
    server = start_embedded(tmp_path_factory.mktemp("mfa-server"), customers=40, mfa_roles=MFA_ROLES)
    yield server
    server.stop()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> ServerClock:
    c = ServerClock()
    monkeypatch.setattr(auth_service, "utcnow", c)
    monkeypatch.setattr(mfa, "utcnow", c)
    return c


def enrol(url: str, username: str, clock: ServerClock) -> tuple[str, list[str]]:
    """`username`'s first enrolment, done over the API: (the secret, the recovery codes)."""
    api = ApiClient(url)
    challenge = api.login(username, DEMO_PASSWORD)
    assert challenge.mfa_enrolment_required and challenge.otpauth_uri and challenge.mfa_token
    secret = secret_of(challenge.otpauth_uri)
    res = api.totp(challenge.mfa_token, clock.code(secret))
    assert res.access_token and res.recovery_codes
    api.logout()
    return secret, res.recovery_codes


def log_in(qtbot, app: Application, username: str, password: str = DEMO_PASSWORD,  # type: ignore[no-untyped-def]
           remember: bool = False) -> LoginDialog:
    d = app.show_login()
    qtbot.addWidget(d)
    d.username.setText(username)
    d.password.setText(password)
    d.remember_username.setChecked(remember)
    d.remember_me.setChecked(remember)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    return d


def code_step(qtbot, app: Application, username: str, **kw) -> LoginDialog:  # type: ignore[no-untyped-def]
    d = log_in(qtbot, app, username, **kw)
    qtbot.waitUntil(lambda: d.step() is d.code_step, timeout=10000)
    return d


def window_up(qtbot, app: Application) -> None:  # type: ignore[no-untyped-def]
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    qtbot.addWidget(app.window)


def logged_in(qtbot, app: Application, username: str, secret: str, clock: ServerClock,  # type: ignore[no-untyped-def]
              **kw) -> None:
    d = code_step(qtbot, app, username, **kw)
    qtbot.keyClicks(d.code_step.code, clock.code(secret))  # the sixth digit sends it
    window_up(qtbot, app)


def test_the_first_login_enrols_with_the_qr_code_and_shows_the_recovery_codes_once(
        qtbot, qapp, mfa_live, clock, monkeypatch, isolated_desktop: MemoryKeyring):
    # the pending secret is the same at every login until a code confirms it
    expected = ApiClient(mfa_live.url).login("manager", DEMO_PASSWORD)
    assert expected.mfa_enrolment_required and expected.otpauth_uri
    drawn: list[str] = []
    make = segno.make
    monkeypatch.setattr(segno, "make", lambda content, **kw: drawn.append(content) or make(content, **kw))
    app = Application(qapp, mfa_live.url)
    d = log_in(qtbot, app, "manager")
    qtbot.waitUntil(lambda: d.step() is d.enrolment, timeout=10000)
    step = d.enrolment
    assert app.window is None

    # the QR code: the server's URI, drawn crisp with its quiet zone
    assert drawn == [expected.otpauth_uri] and step.qr.uri == expected.otpauth_uri
    pixmap = step.qr.pixmap()
    assert not pixmap.isNull() and pixmap.width() == pixmap.height()
    assert 150 <= pixmap.width() / pixmap.devicePixelRatio() <= 400
    symbol = step.qr.symbol
    assert symbol is not None and isinstance(symbol.version, int) and 3 <= symbol.version <= 10
    modules = len(symbol.matrix)
    assert modules == 17 + 4 * symbol.version
    image = pixmap.toImage()
    module, rest = divmod(image.width(), modules + 2 * QUIET_ZONE)
    assert module >= 2 and rest == 0  # whole pixels a module
    assert image.pixelColor(module, module) == QColor(Qt.GlobalColor.white)  # the quiet zone
    corner = QUIET_ZONE * module + module // 2  # the finder pattern's outer corner
    assert image.pixelColor(corner, corner) == QColor(Qt.GlobalColor.black)
    assert image.pixelColor(corner + module, corner + module) == QColor(Qt.GlobalColor.white)

    # the key to type in instead: the URI's, in groups of four, and copied whole
    secret = secret_of(expected.otpauth_uri)
    shown = step.secret.text()
    assert re.fullmatch(r"([A-Z2-7]{4}[ \n])*[A-Z2-7]{4}", shown), shown
    assert re.sub(r"\s", "", shown) == secret and len(secret) == 32
    assert step.account.text() == "Branch CRM (manager)"
    step.copy.click()
    assert QGuiApplication.clipboard().text() == secret

    # a wrong code: said, and the step stays
    qtbot.keyClicks(step.code, clock.wrong(secret))  # six digits: sent without a click
    qtbot.waitUntil(lambda: step.message.text() == error_message("auth.mfa_code_invalid"), timeout=10000)
    assert d.step() is step and step.code.text() == "" and step.code.isEnabled() and app.window is None

    # the right one: the recovery codes, to be acknowledged before the main window opens
    qtbot.keyClicks(step.code, clock.code(secret))
    qtbot.waitUntil(lambda: app.recovery_dialog is not None and app.recovery_dialog.isVisible(), timeout=10000)
    codes = app.recovery_dialog
    assert isinstance(codes, RecoveryCodesDialog)
    assert app.window is None
    assert len(codes.codes) == 10 and all(RECOVERY_CODE.fullmatch(c) for c in codes.codes)
    assert [lbl.text() for lbl in codes.code_labels] == codes.codes
    assert not codes.continue_button.isEnabled()
    codes.reject()  # Esc, or the window's close button: not before they are stored
    assert codes.isVisible() and app.window is None
    codes.copy.click()
    assert QGuiApplication.clipboard().text().split("\n") == codes.codes
    codes.stored.click()
    assert codes.continue_button.isEnabled()
    qtbot.mouseClick(codes.continue_button, Qt.MouseButton.LeftButton)
    window_up(qtbot, app)
    assert not d.isVisible() and not codes.isVisible()
    assert app.controller is not None and app.controller.me.user.username == "manager"
    # the device token came with the session, and is kept as after any login
    assert isolated_desktop.get_password(DEVICE_KEYRING_SERVICE, f"{mfa_live.url}|manager")

    # a recovery code shown stands in for the app's code at the next login
    api = ApiClient(mfa_live.url)
    challenge = api.login("manager", DEMO_PASSWORD)
    assert challenge.mfa_required and challenge.mfa_token
    assert api.totp(challenge.mfa_token, codes.codes[3]).access_token


def test_a_saved_copy_of_the_recovery_codes_says_whose_they_are(qtbot, tmp_path: Path):
    codes = ["ABCD-EFGH-JKLM-NPQR-STUV-WXYZ", "QRST-UVWX-YZ23-4567-ABCD-EFGH"]
    d = RecoveryCodesDialog(codes, "manager", "https://crm.bank.example")
    qtbot.addWidget(d)
    out = tmp_path / "codes.txt"
    assert d.save_codes(str(out))
    text = out.read_text(encoding="utf-8")
    assert "manager" in text and "https://crm.bank.example" in text
    assert text.splitlines()[-2:] == codes


def test_an_enrolled_user_gives_the_apps_code_or_a_recovery_code_once(qtbot, qapp, mfa_live, clock):
    secret, recovery = enrol(mfa_live.url, "manager2", clock)
    app = Application(qapp, mfa_live.url)
    d = code_step(qtbot, app, "manager2")
    step = d.code_step
    assert step.code.mode == "totp" and step.code.isEnabled() and step.code.text() == ""
    qtbot.keyClicks(step.code, clock.wrong(secret))
    qtbot.waitUntil(lambda: step.message.text() == error_message("auth.mfa_code_invalid"), timeout=10000)
    assert d.step() is step and app.window is None

    # "use a recovery code instead": the field takes one (any case), sent with Verify
    qtbot.mouseClick(step.switch, Qt.MouseButton.LeftButton)
    assert step.code.mode == "recovery" and step.code.placeholderText() == "Recovery code"
    qtbot.keyClicks(step.code, recovery[0].lower())
    assert step.code.text() == recovery[0]
    assert d.step() is step  # nothing sent by itself
    qtbot.mouseClick(step.ok_button, Qt.MouseButton.LeftButton)
    window_up(qtbot, app)

    # the same recovery code a second time: refused, the step stays
    app.logout()
    d = code_step(qtbot, app, "manager2")
    step = d.code_step
    assert step.code.mode == "totp"  # each login starts with the app's code
    qtbot.mouseClick(step.switch, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(step.code, recovery[0])
    qtbot.mouseClick(step.ok_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: step.message.text() == error_message("auth.mfa_code_invalid"), timeout=10000)
    assert d.step() is step and app.window is None
    qtbot.mouseClick(step.switch, Qt.MouseButton.LeftButton)  # back to the app's code
    assert step.code.mode == "totp"
    qtbot.keyClicks(step.code, clock.code(secret))
    window_up(qtbot, app)


def test_an_expired_login_step_goes_back_to_the_password(qtbot, qapp, mfa_live, clock):
    secret, _recovery = enrol(mfa_live.url, "teller", clock)
    app = Application(qapp, mfa_live.url)
    d = code_step(qtbot, app, "teller")
    clock.advance(6 * 60)  # the login step lives five minutes
    qtbot.keyClicks(d.code_step.code, clock.code(secret))
    qtbot.waitUntil(lambda: d.step() is d.credentials, timeout=10000)
    assert d.message.text() == error_message("auth.mfa_token_invalid")
    assert d.password.text() == "" and d.username.text() == "teller" and app.window is None
    assert d.buttons.isEnabled()

    # Back (or Esc) does the same by choice; then password and code again
    d.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.step() is d.code_step, timeout=10000)
    assert d.code_step.message.text() == ""  # the step starts afresh
    qtbot.mouseClick(d.code_step.buttons.button(QDialogButtonBox.StandardButton.Cancel), Qt.MouseButton.LeftButton)
    assert d.step() is d.credentials and d.password.text() == ""
    d.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.step() is d.code_step, timeout=10000)
    qtbot.keyClick(d.code_step.code, Qt.Key.Key_Escape)  # Esc is Back too, not the end of the login
    assert d.step() is d.credentials and d.isVisible()
    d.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: d.step() is d.code_step, timeout=10000)
    qtbot.keyClicks(d.code_step.code, clock.code(secret))
    window_up(qtbot, app)


def test_a_new_authenticator_from_the_session_menu_replaces_the_old_one(qtbot, qapp, mfa_live, clock):
    old, _recovery = enrol(mfa_live.url, "cx_manager1", clock)
    app = Application(qapp, mfa_live.url)
    logged_in(qtbot, app, "cx_manager1", old, clock)
    assert app.window is not None
    entry = next(a for a in app.window.menuBar().actions()[0].menu().actions()
                 if a.text() == "Set up a new authenticator...")
    entry.trigger()
    dialog = app.window.authenticator_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=5000)
    assert dialog.asks_code  # the session was opened with a second factor: its code is asked up front

    dialog.password.setText("Not-The-Password-1")
    dialog.code.setText(clock.wrong(old))
    dialog.reauthenticate()
    qtbot.waitUntil(lambda: dialog.errors.labels["password"].text() == error_message("auth.wrong_password"),
                    timeout=10000)
    dialog.password.setText(DEMO_PASSWORD)
    dialog.reauthenticate()
    qtbot.waitUntil(lambda: dialog.errors.labels["code"].text() == error_message("auth.mfa_code_invalid"),
                    timeout=10000)
    assert dialog.page() is dialog.confirm
    dialog.code.setText(clock.code(old))
    qtbot.mouseClick(dialog.confirm_buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: dialog.page() is dialog.enrolment, timeout=10000)
    step = dialog.enrolment
    new = step.key
    assert new != old and secret_of(step.qr.uri) == new and re.sub(r"\s", "", step.secret.text()) == new
    assert not step.qr.pixmap().isNull()

    qtbot.keyClicks(step.code, clock.wrong(new))
    qtbot.waitUntil(lambda: step.message.text() == error_message("auth.mfa_code_invalid"), timeout=10000)
    qtbot.keyClicks(step.code, clock.code(new))
    qtbot.waitUntil(lambda: dialog.recovery is not None and dialog.recovery.isVisible(), timeout=10000)
    codes = dialog.recovery
    assert not dialog.isVisible() and len(codes.codes) == 10
    codes.stored.click()
    qtbot.mouseClick(codes.continue_button, Qt.MouseButton.LeftButton)
    assert "new authenticator" in app.window.statusBar().currentMessage()

    # the next login: the old app's code no longer works, the new one's does
    app.logout()
    d = code_step(qtbot, app, "cx_manager1")
    qtbot.keyClicks(d.code_step.code, clock.code(old))
    qtbot.waitUntil(lambda: d.code_step.message.text() == error_message("auth.mfa_code_invalid"), timeout=10000)
    qtbot.keyClicks(d.code_step.code, clock.code(new))
    window_up(qtbot, app)


def test_changing_the_password_asks_for_the_second_factor(qtbot, qapp, mfa_live, clock):
    secret, _recovery = enrol(mfa_live.url, "cx_manager2", clock)
    app = Application(qapp, mfa_live.url)
    logged_in(qtbot, app, "cx_manager2", secret, clock, remember=True)  # "keep me logged in"
    d = app.change_password()
    assert d is not None and d.asks_code  # the session was opened with one: the field is there from the start
    first, second = "Copper-Kettle-Morning-4", "Bamboo-Teapot-Harbour-9"
    d.old.setText(DEMO_PASSWORD)
    d.new.first.setText(first)
    d.new.second.setText(first)
    d.submit()  # no code yet: said at once, nothing sent
    assert d.errors.labels["code"].isVisibleTo(d) and d.buttons.isEnabled()
    d.code.setText(clock.wrong(secret))
    d.submit()
    qtbot.waitUntil(lambda: d.errors.labels["code"].text() == error_message("auth.mfa_code_invalid"), timeout=10000)
    d.code.setText(clock.code(secret))
    d.submit()
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert app.controller is not None
    app.controller.api.me()  # the session carries on with the new token
    assert ApiClient(mfa_live.url).login("cx_manager2", first).mfa_required

    # the next start, from the remembered session: the client cannot know of the second
    # factor until the server asks for its code
    again = Application(qapp, mfa_live.url)
    again.start()
    window_up(qtbot, again)
    assert again.controller is not None and not again.controller.api.second_factor
    d = again.change_password()
    assert d is not None and not d.asks_code and not d.code.isVisibleTo(d)
    d.old.setText(first)
    d.new.first.setText(second)
    d.new.second.setText(second)
    d.submit()
    qtbot.waitUntil(lambda: d.asks_code and d.code.isVisibleTo(d), timeout=10000)
    assert "second factor" in d.errors.labels["code"].text()
    d.code.setText(clock.code(secret))
    d.submit()
    qtbot.waitUntil(lambda: not d.isVisible(), timeout=10000)
    assert ApiClient(mfa_live.url).login("cx_manager2", second).mfa_required


def test_the_code_field_keeps_the_digits_of_a_pasted_code_and_sends_the_sixth(qtbot):
    d = LoginDialog("http://127.0.0.1:8765", "manager")
    qtbot.addWidget(d)
    d.ask_code()
    sent: list[str] = []
    d.code_submitted.connect(sent.append)
    qtbot.keyClicks(d.code_step.code, "12 3a")
    assert d.code_step.code.text() == "123" and not sent
    qtbot.keyClicks(d.code_step.code, "-456")
    assert sent == ["123456"] and d.code_step.busy and not d.code_step.code.isEnabled()


def test_too_many_wrong_codes_are_waited_out_on_the_code_step(qtbot):
    d = LoginDialog("http://127.0.0.1:8765", "manager")
    qtbot.addWidget(d)
    d.ask_code()
    d.show_problem(ApiError(429, "auth.throttled", body={"retry_after": 42}))
    step = d.code_step
    assert d.step() is step and re.search(r"\(try again in 42 s\)$", step.message.text()), step.message.text()
    assert not step.ok_button.isEnabled() and step.code.isEnabled()
    qtbot.keyClicks(step.code, "123456")  # the sixth digit sends nothing during the wait
    assert step.code.text() == "123456" and not step.busy
