"""Wiring: one Controller per logged-in session. It owns the API client and the task
runner; views call it and get results through callbacks on the UI thread. It is the
one place that reacts to an ended session (401)."""
from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import keyring
import shiboken6
from keyring.errors import KeyringError
from PySide6.QtCore import QObject, QSettings, Signal

from client.api.client import ApiClient, ApiError
from client.api.tasks import TaskRunner
from shared.schemas import ApprovalPending, CustomerQuery, LoginResponse, Me, OrgRead

log = logging.getLogger(__name__)
KEYRING_SERVICE = "branch-crm"
#: Device tokens live apart from session tokens: logging out forgets the session, not the
#: workstation.
DEVICE_KEYRING_SERVICE = "branch-crm-device"
DEVICE_SETTINGS_GROUP = "device_tokens"
Ok = Callable[[Any], object]
Err = Callable[[ApiError], object]


def keyring_available() -> bool:
    from keyring.backends import fail
    return not isinstance(keyring.get_keyring(), fail.Keyring)


def remember_token(server: str, username: str, token: str | None) -> None:
    key = f"{server}|{username}"
    try:
        if token:
            keyring.set_password(KEYRING_SERVICE, key, token)
        else:
            keyring.delete_password(KEYRING_SERVICE, key)
    except KeyringError as exc:  # no backend, or nothing stored: remembering is a convenience only
        log.info("keyring: %s", exc)


def remembered_token(server: str, username: str) -> str | None:
    try:
        return keyring.get_password(KEYRING_SERVICE, f"{server}|{username}")
    except KeyringError as exc:
        log.info("keyring: %s", exc)
        return None


def _device_key(server: str, username: str) -> str:
    """Per server and user as the server knows them (it compares usernames case-folded)."""
    return f"{server.rstrip('/')}|{username.strip().casefold()}"


def _device_setting(server: str, username: str) -> str:
    """A settings key without the URL's slashes (group separators to QSettings) and
    without the username in clear text in the settings file."""
    digest = hashlib.sha256(_device_key(server, username).encode()).hexdigest()
    return f"{DEVICE_SETTINGS_GROUP}/{digest}"


def remember_device_token(settings: QSettings, server: str, username: str, token: str) -> None:
    """Keep the token the server gave this user on this workstation (CONTRACT.md, HTTP):
    in the OS keyring when there is one, else in the settings beside the remembered
    username. It is no password (the password is still needed), so the settings file is
    an acceptable place when the desktop has no keyring."""
    if keyring_available():
        try:
            keyring.set_password(DEVICE_KEYRING_SERVICE, _device_key(server, username), token)
        except KeyringError as exc:  # a locked or broken keyring: the settings keep it instead
            log.info("keyring: %s", exc)
        else:
            settings.remove(_device_setting(server, username))  # one copy, the safer one
            return
    settings.setValue(_device_setting(server, username), token)


def remembered_device_token(settings: QSettings, server: str, username: str) -> str | None:
    if keyring_available():
        try:
            token = keyring.get_password(DEVICE_KEYRING_SERVICE, _device_key(server, username))
        except KeyringError as exc:
            log.info("keyring: %s", exc)
        else:
            if token:
                return token
    value = settings.value(_device_setting(server, username))
    return str(value) if value else None


@dataclass(frozen=True)
class PendingLogin:
    """A login between its two steps (client/main.py): the right password was answered
    with a second-factor challenge, whose `mfa_token` goes with the code."""

    api: ApiClient
    server: str
    username: str
    password: str
    remember: bool
    #: the device token the password step sent (the code step's answer may bring another)
    device_token: str | None
    mfa_token: str


@dataclass(frozen=True)
class Opened:
    """A login's session as the worker thread fetched it: the device token the server
    issued, the user and orgs (None while the password must be changed first: nothing
    else is reachable), and the recovery codes when the login completed a first
    enrolment of the second factor (shown once, before anything else)."""

    device_token: str | None
    result: tuple[Me, list[OrgRead]] | None
    recovery_codes: list[str] | None = None


def open_session(api: ApiClient, res: LoginResponse) -> Opened | LoginResponse:
    """On the worker thread, after `/auth/login` or `/auth/totp`: the session's first
    reads, or `res` itself when it is a second-factor challenge (no session yet)."""
    if res.access_token is None:
        return res
    if res.password_change_required:
        return Opened(res.device_token, None, res.recovery_codes)
    return Opened(res.device_token, (api.me(), api.orgs()), res.recovery_codes)


class Controller(QObject):
    """Signals: session_ended() when the server answers 401 (log in again, input kept);
    orgs_changed() when the organisation tree was reloaded; approval_submitted() when a
    change was sent to a checker instead of made (the approvals list shows it at once)."""

    session_ended = Signal()
    orgs_changed = Signal()
    approval_submitted = Signal()

    def __init__(self, api: ApiClient, me: Me, orgs: list[OrgRead], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.api, self.me, self.orgs = api, me, orgs
        self.tasks = TaskRunner(self)
        self.org_names: dict[int, str] = {}
        self.set_orgs(orgs)

    def set_orgs(self, orgs: list[OrgRead]) -> None:
        self.orgs = orgs
        self.org_names.clear()  # the same dict: models holding it see new names
        self.org_names.update({o.id: o.name for o in orgs})
        self.orgs_changed.emit()

    def reload_orgs(self) -> None:
        self.call(lambda api: api.orgs(), self.set_orgs, lambda _e: None)

    def may(self, action: str) -> bool:
        return action in self.me.permissions

    def org_choices(self) -> list[tuple[int, str]]:
        """Orgs a new customer may be placed in: the user's own and those below it."""
        children: dict[int | None, list[OrgRead]] = {}
        for o in self.orgs:
            children.setdefault(o.parent_id, []).append(o)
        out: list[tuple[int, str]] = []

        def walk(org_id: int, depth: int) -> None:
            out.append((org_id, "  " * depth + self.org_names[org_id]))
            for child in children.get(org_id, []):
                walk(child.id, depth + 1)

        if self.me.org.id in self.org_names:
            walk(self.me.org.id, 0)
        return out

    def call(self, fn: Callable[[ApiClient], Any], ok: Ok, err: Err, owner: QObject | None = None) -> None:
        """Run `fn(api)` on a worker thread; `ok` or `err` follow on the UI thread."""
        self._run(lambda: fn(self.api), ok, err, owner)

    def _run(self, fn: Callable[[], Any], ok: Ok, err: Err, owner: QObject | None = None) -> None:
        """Answers for a widget that has been closed meanwhile are dropped."""
        def alive() -> bool:
            return owner is None or shiboken6.isValid(owner)

        def succeeded(result: Any) -> None:
            if isinstance(result, ApprovalPending):
                self.approval_submitted.emit()
            if alive():
                ok(result)

        def failed(e: ApiError) -> None:
            if e.status == 401:
                self.session_ended.emit()
            if alive():
                err(e)
        self.tasks.run(fn, succeeded, failed)

    def search(self, query: CustomerQuery, ok: Ok, err: Err, owner: QObject | None = None, page: int = 1,
               page_size: int = 50) -> None:
        self._run(lambda: self.api.search_customers(query, page, page_size), ok, err, owner)

    def load_customer(self, customer_id: int, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.customer(customer_id), ok, err, owner)

    def load_history(self, customer_id: int, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.history(customer_id), ok, err, owner)

    def create_customer(self, data: dict[str, Any], key: str, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.create_customer(data, key), ok, err, owner)

    def update_customer(self, customer_id: int, version: int, changes: dict[str, Any], key: str, ok: Ok,
                        err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.update_customer(customer_id, version, changes, key), ok, err, owner)

    def account_managers(self, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        """The account managers the user may see (a branch manager: their branch's)."""
        self._run(lambda: [u for u in self.api.users(role="account_manager") if not u.disabled], ok, err, owner)

    def logout(self) -> None:
        self._run(self.api.logout, lambda _r: None, lambda _e: None)
