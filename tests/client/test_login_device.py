"""The device token (CONTRACT.md, HTTP): kept per server and user after a login, sent with
that user's next login from this workstation, replaced when the server issues another;
it lets its user past the per-address throttle that a branch's shared NAT address would
otherwise share with every colleague's typos. Real widgets, real server; the keyring is
the in-memory stand-in of tests/desktop.py."""
from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox

from client.api.client import ApiClient, ApiError
from client.app import DEVICE_KEYRING_SERVICE, DEVICE_SETTINGS_GROUP
from client.i18n import error_message
from client.main import Application
from client.views.login_dialog import LoginDialog
from server.demo import DEMO_PASSWORD
from server.embedded import EmbeddedServer, start_embedded
from tests.client.conftest import WatchedTransport, api_as
from tests.desktop import MemoryKeyring

ADDRESS_LIMIT = 3


def log_in(qtbot, app: Application, username: str, password: str = DEMO_PASSWORD) -> LoginDialog:  # type: ignore[no-untyped-def]
    d = app.show_login()
    qtbot.addWidget(d)
    d.username.setText(username)
    d.password.setText(password)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    return d


def logged_in(qtbot, app: Application, username: str) -> None:  # type: ignore[no-untyped-def]
    log_in(qtbot, app, username)
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    qtbot.addWidget(app.window)


def stored(ring: MemoryKeyring, url: str, username: str) -> str | None:
    return ring.get_password(DEVICE_KEYRING_SERVICE, f"{url}|{username}")


def last_login_audit(url: str, username: str) -> dict[str, str]:
    """The newest successful `auth.login` of `username`, as the auditor reads it."""
    user_id = next(u.id for u in api_as(url, "admin").users(username) if u.username == username)
    entries = api_as(url, "auditor").audit("auth.login")
    entry = next(e for e in entries if e.object_id == str(user_id) and e.outcome == "success")
    return json.loads(entry.detail or "{}")


def test_the_device_token_is_kept_and_sent_with_the_next_login(qtbot, qapp, live, isolated_desktop):
    transport = WatchedTransport()
    app = Application(qapp, live.url, transport=transport)
    logged_in(qtbot, app, "teller")
    [first] = transport.login_bodies()
    assert "device_token" not in first  # nothing kept yet for this user here
    token = stored(isolated_desktop, live.url, "teller")
    assert token and len(token) >= 20
    assert last_login_audit(live.url, "teller")["device"] == "new"

    app.logout()  # ends the session, not the workstation's standing
    assert stored(isolated_desktop, live.url, "teller") == token
    logged_in(qtbot, app, "teller")
    assert transport.login_bodies()[-1]["device_token"] == token
    assert last_login_audit(live.url, "teller")["device"] == "known"  # the server recognised it
    assert stored(isolated_desktop, live.url, "teller") == token


def test_a_token_the_server_no_longer_knows_is_replaced(qtbot, qapp, live, isolated_desktop):
    transport = WatchedTransport()
    isolated_desktop.set_password(DEVICE_KEYRING_SERVICE, f"{live.url}|manager", "x" * 43)  # expired, say
    app = Application(qapp, live.url, transport=transport)
    logged_in(qtbot, app, "manager")
    assert transport.login_bodies()[-1]["device_token"] == "x" * 43
    issued = stored(isolated_desktop, live.url, "manager")
    assert issued and issued != "x" * 43
    assert last_login_audit(live.url, "manager")["device"] == "new"


def test_each_user_has_their_own_token_on_a_shared_workstation(qtbot, qapp, live, isolated_desktop):
    transport = WatchedTransport()
    app = Application(qapp, live.url, transport=transport)
    logged_in(qtbot, app, "teller")
    app.logout()
    logged_in(qtbot, app, "manager")  # a colleague at the same desk
    assert "device_token" not in transport.login_bodies()[-1]
    teller, manager = stored(isolated_desktop, live.url, "teller"), stored(isolated_desktop, live.url, "manager")
    assert teller and manager and teller != manager


def test_without_a_keyring_the_token_is_kept_in_the_settings(qtbot, qapp, live, isolated_desktop):
    keyring.set_keyring(fail.Keyring())
    transport = WatchedTransport()
    app = Application(qapp, live.url, transport=transport)
    logged_in(qtbot, app, "teller")
    settings = QSettings("BranchCRM", "client")
    settings.beginGroup(DEVICE_SETTINGS_GROUP)
    tokens = [str(settings.value(k)) for k in settings.childKeys()]
    settings.endGroup()
    assert len(tokens) == 1 and len(tokens[0]) >= 20
    assert not any("teller" in k for k in settings.allKeys())  # the file does not list who worked here
    assert not isolated_desktop.store
    app.logout()
    logged_in(qtbot, app, "teller")
    assert transport.login_bodies()[-1]["device_token"] == tokens[0]
    assert last_login_audit(live.url, "teller")["device"] == "known"


@pytest.fixture
def shared_address(tmp_path: Path) -> Iterator[EmbeddedServer]:
    """A server whose per-address throttle trips after a few failures (all tests log in
    from 127.0.0.1, so it gets a database of its own). The embedded server takes no
    setting overrides, so the limit comes the way an operator sets it: CRM_*."""
    directory = tmp_path / "server"
    directory.mkdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("CRM_LOGIN_ADDRESS_LIMIT", str(ADDRESS_LIMIT))
        server = start_embedded(directory, customers=80)
    yield server
    server.stop()


def test_the_device_token_lets_its_user_past_the_address_throttle(qtbot, qapp, shared_address, isolated_desktop):
    url = shared_address.url
    app = Application(qapp, url)
    logged_in(qtbot, app, "manager")  # earlier today, at this desk
    assert stored(isolated_desktop, url, "manager")
    app.logout()
    for n in range(ADDRESS_LIMIT):  # colleagues behind the same address mistype
        with pytest.raises(ApiError) as exc:
            ApiClient(url).login(f"typo{n}", "Not-The-Password-1")
        assert exc.value.status == 401
    with pytest.raises(ApiError) as exc:  # the address is blocked now, even with the right password
        ApiClient(url).login("president", DEMO_PASSWORD)
    assert exc.value.code == "auth.throttled"

    d = log_in(qtbot, app, "teller")  # never logged in here: no token, held back with the others
    qtbot.waitUntil(lambda: d.buttons.isEnabled() and d.message.text().startswith(error_message("auth.throttled")),
                    timeout=10000)
    assert app.window is None and d.isVisible()
    # the wait is counted down, and Log in waits for it (the one error path's 429)
    assert re.search(r"\(try again in \d+ s\)$", d.message.text()), d.message.text()
    assert not d.buttons.button(QDialogButtonBox.StandardButton.Ok).isEnabled()

    logged_in(qtbot, app, "manager")  # has a token from this desk: not held back
    assert app.controller is not None and app.controller.me.user.username == "manager"
