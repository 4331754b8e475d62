"""Wiring: one Controller per logged-in session. It owns the API client and the task
runner; views call it and get results through callbacks on the UI thread. It is the
one place that reacts to an ended session (401)."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import keyring
import shiboken6
from keyring.errors import KeyringError
from PySide6.QtCore import QObject, Signal

from client.api.client import ApiClient, ApiError
from client.api.tasks import TaskRunner
from shared.schemas import CustomerQuery, Me, OrgRead

log = logging.getLogger(__name__)
KEYRING_SERVICE = "branch-crm"
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


class Controller(QObject):
    """Signals: session_ended() when the server answers 401 (log in again, input kept);
    orgs_changed() when the organisation tree was reloaded."""

    session_ended = Signal()
    orgs_changed = Signal()

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
            if alive():
                ok(result)

        def failed(e: ApiError) -> None:
            if e.status == 401:
                self.session_ended.emit()
            if alive():
                err(e)
        self.tasks.run(fn, succeeded, failed)

    def search(self, query: CustomerQuery, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.search_customers(query), ok, err, owner)

    def load_customer(self, customer_id: int, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.customer(customer_id), ok, err, owner)

    def load_history(self, customer_id: int, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.history(customer_id), ok, err, owner)

    def create_customer(self, data: dict[str, Any], key: str, ok: Ok, err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.create_customer(data, key), ok, err, owner)

    def update_customer(self, customer_id: int, version: int, changes: dict[str, Any], key: str, ok: Ok,
                        err: Err, owner: QObject | None = None) -> None:
        self._run(lambda: self.api.update_customer(customer_id, version, changes, key), ok, err, owner)

    def logout(self) -> None:
        self._run(self.api.logout, lambda _r: None, lambda _e: None)
