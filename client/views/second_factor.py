"""The second factor (TOTP) on screen: the login's code step, the enrolment view with
the QR code of the new secret, the recovery codes shown once, and "Set up a new
authenticator" from the Session menu.

The login's steps are pages of the login dialog (client/views/login_dialog.py): they
emit what the user typed, and client/main.py talks to the server. `AuthenticatorDialog`
makes its calls through the Controller, off the UI thread, as every view does.

The QR code is drawn here from the server's `otpauth://` URI (segno, pure Python): black
modules on white, the standard quiet zone of four modules, each module a whole number
of device pixels, so that a phone's camera reads it at any screen scale. Nothing of it
leaves this computer."""
from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import parse_qs, unquote, urlparse

import segno
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase, QGuiApplication, QImage, QPixmap, QTextDocument
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from client.i18n import error_message, tr
from client.problems import Kind, problem_of
from client.views.widgets import Countdown, FieldErrors, error_label

if TYPE_CHECKING:
    from client.api.client import ApiError
    from client.app import Controller
    from shared.schemas import RecoveryCodes, TotpEnrolment

#: The QR code's quiet zone, in modules (ISO/IEC 18004 asks for four).
QUIET_ZONE = 4
DIGITS = 6
#: A recovery code: groups of four characters of this alphabet, ABCD-EFGH-JKLM-…; how
#: many is the server's to say (the client only keeps obvious typos from being sent).
RECOVERY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
RECOVERY_MIN_LENGTH = 16
Mode = Literal["totp", "recovery", "any"]


# ----------------------------------------------------------------------------- the URI
def secret_of(uri: str) -> str:
    """The base32 secret of an `otpauth://totp/...?secret=...` URI ("" if it has none)."""
    values = parse_qs(urlparse(uri).query).get("secret", [""])
    return values[0].upper()


def account_of(uri: str) -> str:
    """What the authenticator app will list the account as: `Branch CRM (username)`."""
    parsed = urlparse(uri)
    label = unquote(parsed.path.lstrip("/"))
    issuer, _, account = label.rpartition(":")
    issuer = issuer or parse_qs(parsed.query).get("issuer", [""])[0]
    return f"{issuer} ({account})" if issuer else account


def grouped(secret: str, per_line: int = 4) -> str:
    """The secret in groups of four for typing in, `per_line` groups a line."""
    groups = [secret[i:i + 4] for i in range(0, len(secret), 4)]
    return "\n".join(" ".join(groups[i:i + per_line]) for i in range(0, len(groups), per_line))


def fixed_font(point_size: float | None = None) -> QFont:
    """The system's monospace font: codes and keys read character by character."""
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    if point_size is not None:
        font.setPointSizeF(point_size)
    return font


def qr_image(symbol: segno.QRCode, module: int, border: int = QUIET_ZONE) -> QImage:
    """`symbol` as black on white, `module` pixels a module, with `border` modules of
    quiet zone: one pixel a module, scaled without smoothing (crisp edges)."""
    rows = list(symbol.matrix_iter(scale=1, border=border))
    size = len(rows)
    image = QImage(size, size, QImage.Format.Format_RGB32)
    image.fill(Qt.GlobalColor.white)
    black = 0xFF000000
    for y, row in enumerate(rows):
        for x, dark in enumerate(row):
            if dark:
                image.setPixel(x, y, black)
    return image.scaled(size * module, size * module, Qt.AspectRatioMode.IgnoreAspectRatio,
                        Qt.TransformationMode.FastTransformation)


class QrCode(QLabel):
    """An `otpauth://` URI as a QR code about `size` logical pixels across."""

    def __init__(self, size: int = 200, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.size_hint_px = size
        self.uri = ""
        self.symbol: segno.QRCode | None = None
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setAccessibleName(tr("QR code for the authenticator app"))

    def set_uri(self, uri: str) -> None:
        self.uri = uri
        self.symbol = segno.make(uri, error="m", micro=False)
        dpr = max(1.0, self.devicePixelRatioF())
        width = self.symbol.symbol_size(scale=1, border=QUIET_ZONE)[0]
        module = max(2, round(self.size_hint_px * dpr / width))
        image = qr_image(self.symbol, module)
        image.setDevicePixelRatio(dpr)
        self.setPixmap(QPixmap.fromImage(image))


# ----------------------------------------------------------------------------- the code field
def _clean(mode: Mode, text: str) -> str:
    """What the field keeps of `text`: digits only for a TOTP code (spaces pasted with it
    dropped), a recovery code's letters upper-cased with its dashes."""
    if mode == "totp":
        return "".join(c for c in text if c.isascii() and c.isdigit())[:DIGITS]
    if mode == "recovery":
        return "".join(c for c in text.upper() if c in RECOVERY_ALPHABET or c == "-")
    return "".join(c for c in text.upper() if c.isascii() and (c.isalnum() or c in "- "))


def is_totp(text: str) -> bool:
    digits = "".join(text.split())
    return len(digits) == DIGITS and digits.isascii() and digits.isdigit()


def is_recovery_code(text: str) -> bool:
    """Whole groups of four, at least four of them, of the codes' alphabet."""
    plain = "".join(text.split()).replace("-", "").upper()
    return len(plain) >= RECOVERY_MIN_LENGTH and len(plain) % 4 == 0 and all(c in RECOVERY_ALPHABET for c in plain)


class CodeInput(QLineEdit):
    """A second-factor code as typed, in a large monospace font. `totp`: six digits, and
    `complete` when the sixth arrives (the step sends it: nothing to press); `recovery`:
    a recovery code; `any`: either (a re-authentication, where both are taken).
    Signals: complete()."""

    complete = Signal()

    def __init__(self, mode: Mode = "totp", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.mode: Mode = mode
        if mode == "any":  # a row of a form, with the password
            self.setFont(fixed_font(12))
        else:  # the page's one field
            self.setFont(fixed_font(16))
            self.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.setMinimumWidth(240)
            self.setMaximumWidth(360)
        self.textEdited.connect(self._edited)
        self.set_mode(mode)

    def set_mode(self, mode: Mode) -> None:
        self.mode = mode
        self.clear()
        if mode == "totp":
            self.setPlaceholderText(tr("6-digit code"))
            self.setMaxLength(20)  # room for a code pasted with spaces; the digits are kept
            self.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly)
        elif mode == "recovery":
            self.setPlaceholderText(tr("Recovery code"))
            self.setMaxLength(30)
            self.setInputMethodHints(Qt.InputMethodHint.ImhUppercaseOnly | Qt.InputMethodHint.ImhNoPredictiveText)
        else:
            self.setPlaceholderText(tr("Code or recovery code"))
            self.setMaxLength(30)
            self.setInputMethodHints(Qt.InputMethodHint.ImhNoPredictiveText)

    def code(self) -> str:
        return self.text().strip()

    def is_complete(self) -> bool:
        text = self.code()
        if self.mode == "totp":
            return is_totp(text)
        if self.mode == "recovery":
            return is_recovery_code(text)
        return is_totp(text) or is_recovery_code(text)

    def _edited(self, text: str) -> None:
        clean = _clean(self.mode, text)
        if clean != text:
            at = len(_clean(self.mode, text[:self.cursorPosition()]))
            self.setText(clean)
            self.setCursorPosition(at)
        if self.mode == "totp" and len(clean) == DIGITS:
            self.complete.emit()


def _link_button(text: str = "") -> QPushButton:
    """A flat button that reads as a link (an alternative, not the main action)."""
    button = QPushButton(text)
    button.setFlat(True)
    button.setAutoDefault(False)
    button.setCursor(Qt.CursorShape.PointingHandCursor)
    button.setStyleSheet("QPushButton { color: palette(link); text-decoration: underline; border: none; "
                         "padding: 2px 0; text-align: left; }")
    return button


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    label.setStyleSheet("font-size: 13pt; font-weight: bold")
    label.setWordWrap(True)
    return label


def _wrapped(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    return label


# ----------------------------------------------------------------------------- the steps
class CodeEntry(QWidget):
    """A page that takes a code: its field, its message line and its buttons (the main
    one `ok_text`, the other `back_text`), busy while the code is checked. A wrong code
    keeps the page, says so and clears the field for the next.
    Signals: submitted(code); back()."""

    submitted = Signal(str)
    back = Signal()

    def __init__(self, ok_text: str, back_text: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.code = CodeInput("totp")
        self.code.complete.connect(self.submit)
        self.message = error_label()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button.setText(ok_text)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(back_text)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.back)
        self.countdown: Countdown | None = None
        self.busy = False

    @property
    def ok_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def incomplete_text(self) -> str:
        return tr("Enter the 6 digits your authenticator app shows")

    def submit(self) -> None:
        if self.busy or not self.ok_button.isEnabled():
            return  # a code on its way, or a wait the server asked for
        if not self.code.is_complete():
            self.message.setText(self.incomplete_text())
            self.code.setFocus()
            return
        self.set_busy(True)
        self.submitted.emit(self.code.code())

    def set_busy(self, busy: bool) -> None:
        self.busy = busy
        self.code.setEnabled(not busy)
        self.buttons.setEnabled(not busy)
        if busy:
            self.message.setText(tr("Checking the code..."))

    def _stop_countdown(self) -> None:
        if self.countdown is not None:
            self.countdown.timer.stop()
            self.countdown = None

    def reset(self) -> None:
        """A fresh page: nothing typed, nothing said."""
        self._stop_countdown()
        self.set_busy(False)
        self.code.clear()
        self.message.clear()
        self.ok_button.setEnabled(True)

    def show_error(self, text: str) -> None:
        self._stop_countdown()
        self.set_busy(False)
        self.message.setText(text)
        self.code.clear()
        self.code.setFocus()

    def show_problem(self, err: ApiError) -> None:
        """A refused code through the one error path: a wait the server asks for (too many
        wrong codes) is counted down, and the main button waits for it."""
        p = problem_of(err)
        if p.kind is Kind.WAIT:
            assert p.retry_after is not None
            self.show_error("")
            self.ok_button.setEnabled(False)
            self.countdown = Countdown(self.message, p.code, p.retry_after,
                                       lambda: self.ok_button.setEnabled(True), self)
            return
        self.show_error(p.message if p.kind in (Kind.FAILED, Kind.UNAVAILABLE) else error_message(p.code, err.detail))


class CodeStep(CodeEntry):
    """The login's second step: the code of the user's authenticator app or, by the link
    under the field, one of their recovery codes."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(tr("Verify"), tr("Back"), parent)
        self.heading = _heading(tr("Two-step verification"))
        self.intro = _wrapped()
        self.switch = _link_button()
        self.switch.clicked.connect(self.toggle_recovery)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.intro)
        layout.addSpacing(6)
        layout.addWidget(self.code)
        layout.addWidget(self.switch, 0, Qt.AlignmentFlag.AlignLeft)
        layout.addWidget(self.message)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self._texts()

    def start(self) -> None:
        """A new challenge: the app's code asked for."""
        self.code.set_mode("totp")
        self.reset()
        self._texts()

    def toggle_recovery(self) -> None:
        self.code.set_mode("recovery" if self.code.mode == "totp" else "totp")
        self.message.clear()
        self._texts()
        self.code.setFocus()

    def incomplete_text(self) -> str:
        if self.code.mode == "recovery":
            return tr("Enter the whole recovery code, as it is on your list")
        return super().incomplete_text()

    def _texts(self) -> None:
        if self.code.mode == "recovery":
            self.intro.setText(tr("Enter one of the recovery codes you stored when you set up your authenticator. "
                                  "Each code works once."))
            self.switch.setText(tr("Use the code from the authenticator app instead"))
        else:
            self.intro.setText(tr("Enter the 6-digit code your authenticator app shows for Branch CRM."))
            self.switch.setText(tr("Use a recovery code instead"))


class EnrolmentStep(CodeEntry):
    """A new second factor: the QR code of its URI for the authenticator app to scan, its
    secret grouped in fours to type in instead (selectable, with a copy button), and the
    field for a code of it, which confirms it."""

    def __init__(self, heading: str, intro: str, back_text: str, parent: QWidget | None = None) -> None:
        super().__init__(tr("Verify"), back_text, parent)
        self.heading = _heading(heading)
        self.intro = _wrapped(intro)
        self.intro.setVisible(bool(intro))
        self.qr = QrCode(200)
        self.qr.setFrameShape(QFrame.Shape.NoFrame)
        self.account = QLabel()
        self.account.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.secret = QLabel()
        self.secret.setFont(fixed_font(12))
        self.secret.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                            | Qt.TextInteractionFlag.TextSelectableByKeyboard)
        self.secret.setAccessibleName(tr("Key for entering by hand"))
        self.copy = QPushButton(tr("Copy key"))
        self.copy.setAutoDefault(False)
        self.copy.clicked.connect(self.copy_secret)
        self.copied = QLabel()
        self.key = ""

        steps = QVBoxLayout()
        steps.addWidget(_wrapped(tr("1. Install an authenticator app on your phone, such as Microsoft Authenticator, "
                                    "Google Authenticator or FreeOTP.")))
        steps.addWidget(_wrapped(tr("2. In the app, add an account and scan the QR code.")))
        manual = _wrapped(tr("Cannot scan it? Add the account by hand, time-based, with this key:"))
        steps.addWidget(manual)
        key = QGridLayout()
        key.addWidget(QLabel(tr("Account")), 0, 0)
        key.addWidget(self.account, 0, 1, 1, 2)
        key.addWidget(QLabel(tr("Key")), 1, 0, Qt.AlignmentFlag.AlignTop)
        key.addWidget(self.secret, 1, 1)
        copy = QVBoxLayout()
        copy.addWidget(self.copy)
        copy.addWidget(self.copied)
        copy.addStretch(1)
        key.addLayout(copy, 1, 2)
        key.setColumnStretch(1, 1)
        steps.addLayout(key)
        steps.addSpacing(6)
        steps.addWidget(_wrapped(tr("3. Enter the 6-digit code the app now shows:")))
        steps.addWidget(self.code)
        steps.addStretch(1)
        body = QHBoxLayout()
        body.addWidget(self.qr, 0, Qt.AlignmentFlag.AlignTop)
        body.addSpacing(12)
        body.addLayout(steps, 1)

        self.setMinimumWidth(660)  # the QR code and, beside it, the steps without cramped lines
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.intro)
        layout.addSpacing(6)
        layout.addLayout(body)
        layout.addWidget(self.message)
        layout.addWidget(self.buttons)

    def show_uri(self, uri: str, secret: str | None = None) -> None:
        """The new secret (the server's URI; the secret as the server gave it, else read
        from the URI) to scan or type in, and an empty code field."""
        self.key = (secret or secret_of(uri)).upper()
        self.qr.set_uri(uri)
        self.account.setText(account_of(uri))
        self.secret.setText(grouped(self.key))
        self.copied.clear()
        self.reset()
        self.code.setFocus()

    def copy_secret(self) -> None:
        QGuiApplication.clipboard().setText(self.key)
        self.copied.setText(tr("Copied"))


# ----------------------------------------------------------------------------- recovery codes
class RecoveryCodesDialog(QDialog):
    """The recovery codes of a new second factor, shown this once: each lets its user
    log in once without the phone. The dialog stays until the user says they have
    stored them (copied, saved to a file or printed); Esc and the window's close button
    do not skip it."""

    def __init__(self, codes: list[str], username: str, server: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.codes, self.username, self.server = list(codes), username, server
        self.setWindowTitle(tr("Your recovery codes"))
        self.setModal(True)
        intro = _wrapped(tr("If you lose your phone, each of these codes lets you log in once instead of a code "
                            "from the app. Store them now somewhere safe and apart from your phone, in a password "
                            "manager or on paper. They are shown only this once."))
        grid = QGridLayout()
        font = fixed_font(13)
        half = (len(self.codes) + 1) // 2
        self.code_labels: list[QLabel] = []
        for i, code in enumerate(self.codes):
            lbl = QLabel(code)
            lbl.setFont(font)
            lbl.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            grid.addWidget(lbl, i % half, i // half)
            self.code_labels.append(lbl)
        grid.setHorizontalSpacing(28)
        frame = QFrame()
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame.setLayout(grid)
        self.copy = QPushButton(tr("Copy"))
        self.save = QPushButton(tr("Save to file..."))
        self.print_button = QPushButton(tr("Print..."))
        for b, do in ((self.copy, self.copy_codes), (self.save, self.save_codes),
                      (self.print_button, self.print_codes)):
            b.setAutoDefault(False)
            b.clicked.connect(lambda _c=False, do=do: do())
        actions = QHBoxLayout()
        for b in (self.copy, self.save, self.print_button):
            actions.addWidget(b)
        actions.addStretch(1)
        self.done_note = QLabel()
        self.stored = QCheckBox(tr("I have stored these codes in a safe place"))
        self.stored.toggled.connect(lambda on: self.continue_button.setEnabled(on))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.continue_button.setText(tr("Continue"))
        self.continue_button.setEnabled(False)
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(_heading(tr("Store your recovery codes")))
        layout.addWidget(intro)
        layout.addWidget(frame)
        layout.addLayout(actions)
        layout.addWidget(self.done_note)
        layout.addWidget(self.stored)
        layout.addWidget(self.buttons)

    @property
    def continue_button(self) -> QPushButton:
        return self.buttons.button(QDialogButtonBox.StandardButton.Ok)

    def text(self) -> str:
        """The codes with who and where they are for (a saved or printed copy)."""
        return "\n".join([tr("Branch CRM recovery codes"), f"{tr('User')}: {self.username}",
                          f"{tr('Server')}: {self.server}", f"{tr('Issued on')}: {datetime.date.today().isoformat()}",
                          tr("Each code works once."), "", *self.codes, ""])

    def copy_codes(self) -> None:
        QGuiApplication.clipboard().setText("\n".join(self.codes))
        self.done_note.setText(tr("The codes are on the clipboard: paste them into your password manager."))

    def save_codes(self, path: str | None = None) -> bool:
        """To a text file (`path`, else asked for)."""
        if path is None:
            path, _chosen = QFileDialog.getSaveFileName(self, tr("Save recovery codes"),
                                                        f"branch-crm-recovery-codes-{self.username}.txt",
                                                        tr("Text file (*.txt)"))
        if not path:
            return False
        try:
            Path(path).write_text(self.text(), encoding="utf-8")
        except OSError as e:
            QMessageBox.warning(self, tr("Save recovery codes"),
                                f"{error_message('export.write_failed')}: {e.strerror or e}")
            return False
        self.done_note.setText(tr("Saved to %1").replace("%1", path))
        return True

    def print_codes(self) -> None:
        from PySide6.QtPrintSupport import QPrintDialog, QPrinter  # loaded only by who prints
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(tr("Branch CRM recovery codes"))
        if QPrintDialog(printer, self).exec() != QDialog.DialogCode.Accepted:
            return
        document = QTextDocument()
        document.setDefaultFont(fixed_font(12))
        document.setPlainText(self.text())
        document.print_(printer)
        self.done_note.setText(tr("Sent to the printer."))

    def reject(self) -> None:
        """Esc or the close button: only once the user has said the codes are stored."""
        if self.stored.isChecked():
            self.accept()
        else:
            self.stored.setFocus()
            self.done_note.setText(tr("Store the codes first, then tick the box."))


# ----------------------------------------------------------------------------- Session menu
class AuthenticatorDialog(QDialog):
    """Session menu, "Set up a new authenticator": first who it is (the password and,
    where a second factor is enrolled, the current code or a recovery code), then the
    new secret's QR code and a code of it, then its recovery codes. The authenticator in
    use keeps working until the new one's code is confirmed. The calls go through the
    Controller; `done(message)` says the outcome (the main window's status bar)."""

    def __init__(self, controller: Controller, done: Callable[[str], object] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller, self.on_done = controller, done
        self.setWindowTitle(tr("Set up a new authenticator"))
        self.setMinimumWidth(460)
        self.recovery: RecoveryCodesDialog | None = None

        self.confirm = QWidget()
        form = QFormLayout()
        self.errors = FieldErrors(form)
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.errors.add_row("password", tr("Password"), self.password)
        self.code = CodeInput("any")
        self.errors.add_row("code", tr("Current code"), self.code)
        self.code_row = form.rowCount() - 1
        self.ask_code(controller.api.second_factor)
        self.message = error_label()
        self.confirm_buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                                | QDialogButtonBox.StandardButton.Cancel)
        self.confirm_buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("Continue"))
        self.confirm_buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(tr("Cancel"))
        self.confirm_buttons.accepted.connect(self.reauthenticate)
        self.confirm_buttons.rejected.connect(self.reject)
        page = QVBoxLayout(self.confirm)
        page.setContentsMargins(0, 0, 0, 0)
        page.addWidget(_heading(tr("Confirm it is you")))
        page.addWidget(_wrapped(tr("Enter your password and, if you already use an authenticator app, a code from "
                                   "it (or a recovery code). The one you use now keeps working until the new one "
                                   "is confirmed.")))
        page.addLayout(form)
        page.addWidget(self.message)
        page.addStretch(1)
        page.addWidget(self.confirm_buttons)

        self.enrolment = EnrolmentStep(tr("Scan the new QR code"), "", tr("Cancel"))
        self.enrolment.submitted.connect(self._confirm_code)
        self.enrolment.back.connect(self.reject)
        self.enrolment.setVisible(False)  # one page at a time; the dialog fits the one shown
        layout = QVBoxLayout(self)
        layout.addWidget(self.confirm)
        layout.addWidget(self.enrolment)
        self.password.setFocus()

    def page(self) -> QWidget:
        """The page on screen: `confirm`, then `enrolment`."""
        return self.enrolment if self.enrolment.isVisibleTo(self) else self.confirm

    def ask_code(self, on: bool) -> None:
        """The current code's row: shown once the user is known to have a second factor."""
        self.asks_code = on
        self.errors.form.setRowVisible(self.code_row, on)

    def reauthenticate(self) -> None:
        self.errors.clear()
        self.message.clear()
        ok = True
        if not self.password.text():
            self.errors.show("password", "field.required")
            ok = False
        if self.asks_code and not self.code.is_complete():
            self.errors.show_text("code", tr("The 6-digit code of your app, or a recovery code"))
            ok = False
        if not ok:
            return
        self.confirm_buttons.setEnabled(False)
        password, code = self.password.text(), (self.code.code() if self.asks_code else None)
        self.controller.call(lambda api: api.start_totp_enrolment(password, code), self.show_enrolment,
                             self._refused, owner=self)

    def show_enrolment(self, enrolment: TotpEnrolment) -> None:
        self.password.clear()
        self.confirm.setVisible(False)
        self.enrolment.setVisible(True)
        self.enrolment.show_uri(enrolment.otpauth_uri, enrolment.secret)
        self.enrolment.ok_button.setDefault(True)
        self.setMinimumWidth(self.enrolment.minimumWidth() + 24)
        layout = self.layout()
        assert layout is not None
        layout.activate()
        self.adjustSize()

    def _refused(self, err: ApiError) -> None:
        self.confirm_buttons.setEnabled(True)
        show_reauthentication_refusal(self, err, "password")

    def _confirm_code(self, code: str) -> None:
        self.controller.call(lambda api: api.confirm_totp_enrolment(code), self._enrolled, self.enrolment.show_problem,
                             owner=self)

    def _enrolled(self, codes: RecoveryCodes) -> None:
        self.accept()
        parent = self.parentWidget()
        self.recovery = RecoveryCodesDialog(codes.recovery_codes, self.controller.me.user.username,
                                            self.controller.api.base_url, parent)
        if self.on_done is not None:
            done = self.on_done
            self.recovery.accepted.connect(lambda: done(tr("Your new authenticator is set up: log in with its codes "
                                                           "from now on. The old one no longer works.")))
        self.recovery.open()


def show_reauthentication_refusal(view: Any, err: ApiError, password_field: str) -> None:
    """A re-authentication refused (a password change, a new authenticator): when the
    server wants the code of an enrolled user the view did not ask for, its code field
    appears; otherwise the error goes beside its field (`password_field` for a wrong
    password) and a wrong code is cleared for the next try. `view` has `errors`,
    `message`, `code`, `asks_code` and `ask_code` (PasswordDialog, AuthenticatorDialog)."""
    if "code" in err.field_errors and not view.asks_code:  # enrolled: the server asks for the code
        view.ask_code(True)
        view.errors.clear()
        view.message.clear()
        view.errors.show_text("code", tr("Your account has a second factor: enter the code of your "
                                         "authenticator app (or a recovery code)"))
        view.code.setFocus()
        return
    view.errors.show_problem(err, view.message, {"auth.wrong_password": password_field,
                                                 "auth.mfa_code_invalid": "code"})
    if err.code == "auth.mfa_code_invalid":
        view.code.clear()
        view.code.setFocus()
