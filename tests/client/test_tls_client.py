"""The desktop client and TLS (issue 15): plain http:// only to this computer, with a
warning in the main window's status bar for as long as it lasts; never to another host
(refused before a byte is sent); https:// checked against the configured CA file (the
`ca_file` setting, `--ca-file`) or the system's trust store, its failures said in the
login dialog through the one error path. Real widgets, a real server."""
from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import trustme
import uvicorn
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from client.api.client import ApiClient, ApiError, is_loopback
from client.main import Application
from client.problems import Kind, problem_of, tls_message
from client.views.main_window import MainWindow
from server.demo import DEMO_PASSWORD
from server.embedded import EmbeddedServer
from server.tls import uvicorn_context
from tests.client.conftest import controller_for

NOT_ENCRYPTED = "Not encrypted"


@dataclass
class HttpsServer:
    url: str
    ca_file: Path
    server: uvicorn.Server
    thread: threading.Thread


@pytest.fixture(scope="module")
def https(live: EmbeddedServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HttpsServer]:
    """The embedded server's application, served over TLS as well (trustme's throwaway CA)."""
    directory = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(directory / "ca.pem"))
    leaf.cert_chain_pems[0].write_to_path(str(directory / "cert.pem"))
    leaf.private_key_pem.write_to_path(str(directory / "key.pem"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # the same application object (its startup already ran under the plain server)
    server = uvicorn.Server(uvicorn.Config(
        live.server.config.app, host="127.0.0.1", port=port, log_level="warning", lifespan="off",
        ssl_certfile=str(directory / "cert.pem"), ssl_keyfile=str(directory / "key.pem"),
        ssl_context_factory=uvicorn_context))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    url = f"https://127.0.0.1:{port}"
    probe = ApiClient(url, ca_file=str(directory / "ca.pem"))
    deadline = time.monotonic() + 20
    while not probe.healthy():
        assert time.monotonic() < deadline, "the https server did not start"
        time.sleep(0.05)
    yield HttpsServer(url, directory / "ca.pem", server, thread)
    server.should_exit = True
    thread.join(10)


def status_texts(w: MainWindow) -> list[str]:
    return [label.text() for label in w.statusBar().findChildren(QLabel)]


# ----------------------------------------------------------------------------- the status bar
def test_plain_http_to_this_computer_is_said_in_the_status_bar(qtbot, live):
    w = MainWindow(controller_for(live.url, "manager"))
    qtbot.addWidget(w)
    w.show()
    assert live.url.startswith("http://127.0.0.1:")
    label = w.unencrypted_label
    assert label is not None and label.isVisible()
    assert label.text() == NOT_ENCRYPTED and NOT_ENCRYPTED in status_texts(w)
    assert "not encrypted" in label.toolTip() and "https://" in label.toolTip()
    w.statusBar().showMessage("a passing message", 1000)  # a permanent widget: still there
    assert label.isVisible()


def test_https_has_no_warning(qtbot, https):
    controller_api = ApiClient(https.url, ca_file=str(https.ca_file))
    controller_api.login("manager", DEMO_PASSWORD)
    from client.app import Controller
    w = MainWindow(Controller(controller_api, controller_api.me(), controller_api.orgs()))
    qtbot.addWidget(w)
    w.show()
    assert w.unencrypted_label is None
    assert NOT_ENCRYPTED not in status_texts(w) and https.url in status_texts(w)


# ----------------------------------------------------------------------------- http:// elsewhere
class Recording(httpx.BaseTransport):
    """A real transport that notes every request it is given."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.inner.handle_request(request)


def test_plain_http_to_another_host_is_refused_before_anything_is_sent():
    transport = Recording()
    api = ApiClient("http://10.20.30.40:8765", transport=transport)
    assert not api.encrypted
    with pytest.raises(ApiError) as caught:
        api.login("manager", DEMO_PASSWORD)
    assert caught.value.code == "tls.plain_http_remote"
    assert not api.healthy()
    assert transport.requests == []  # no credentials, no request at all
    p = problem_of(caught.value)
    assert p.kind is Kind.FAILED and "https://" in p.message and "not encrypted" in p.message


def _outward_address() -> str | None:
    """This machine's address on its network (not loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # a UDP "connect" sends nothing: it picks the route
            address = str(s.getsockname()[0])
        except OSError:
            return None
    return None if is_loopback(address) or address == "0.0.0.0" else address


def test_no_byte_reaches_a_real_listener_on_a_non_loopback_address():
    address = _outward_address()
    if address is None:
        pytest.skip("this machine has no non-loopback address to listen on")
    arrived: list[bytes] = []
    with socket.socket() as listening:
        listening.bind((address, 0))
        listening.listen()
        listening.settimeout(0.5)
        port = listening.getsockname()[1]
        # the listener works: a connection to it arrives (so a silent one below means none was made)
        with socket.create_connection((address, port), timeout=2):
            conn, _ = listening.accept()
            conn.close()
        api = ApiClient(f"http://{address}:{port}")
        with pytest.raises(ApiError) as caught:
            api.login("manager", DEMO_PASSWORD)
        assert caught.value.code == "tls.plain_http_remote"
        try:
            conn, _ = listening.accept()
            with conn:
                conn.settimeout(0.5)
                arrived.append(conn.recv(65536))
        except TimeoutError:
            pass
    assert arrived == []


def test_loopback_names_and_addresses():
    assert all(is_loopback(h) for h in ("127.0.0.1", "127.3.4.5", "::1", "[::1]", "localhost", "LOCALHOST"))
    assert not any(is_loopback(h) for h in ("10.0.0.1", "0.0.0.0", "crm.bank.example", "localhost.evil.example"))


# ----------------------------------------------------------------------------- the login dialog
def log_in(qtbot, app: Application, username: str = "manager", server: str | None = None):  # type: ignore[no-untyped-def]
    d = app.show_login()
    qtbot.addWidget(d)
    if server is not None:
        d.server.setText(server)
    d.username.setText(username)
    d.password.setText(DEMO_PASSWORD)
    qtbot.mouseClick(d.buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
    return d


def test_the_login_dialog_refuses_http_to_another_host(qtbot, qapp):
    transport = Recording()
    app = Application(qapp, "http://10.20.30.40:8765", transport=transport)
    d = log_in(qtbot, app)
    qtbot.waitUntil(lambda: d.message.text() == tls_message("tls.plain_http_remote"), timeout=10000)
    assert transport.requests == [] and app.window is None


def test_the_ca_file_setting_is_used_and_an_unknown_ca_is_said(qtbot, qapp, https):
    # no CA file: the system's trust store does not know trustme's CA
    app = Application(qapp, https.url)
    assert app.ca_file is None
    d = log_in(qtbot, app)
    qtbot.waitUntil(lambda: d.message.text() == tls_message("tls.unknown_ca"), timeout=10000)
    assert "not signed by a trusted authority" in d.message.text() and app.window is None

    QSettings("BranchCRM", "client").setValue("ca_file", str(https.ca_file))  # as IT would set it
    app = Application(qapp, https.url)
    assert app.ca_file == str(https.ca_file)
    log_in(qtbot, app)
    qtbot.waitUntil(lambda: app.window is not None, timeout=10000)
    assert app.window is not None
    qtbot.addWidget(app.window)
    assert app.window.unencrypted_label is None
    assert QSettings("BranchCRM", "client").value("ca_file") == str(https.ca_file)


def test_a_ca_file_given_on_the_command_line_wins_over_the_setting(qapp, https, tmp_path):
    QSettings("BranchCRM", "client").setValue("ca_file", str(tmp_path / "stale.pem"))
    app = Application(qapp, https.url, ca_file=str(https.ca_file))
    assert app._api(https.url).ca_file == str(https.ca_file)
    assert Application(qapp, https.url, ca_file="").ca_file is None  # "": the system's trust store


def test_https_to_a_plain_http_server_is_no_secure_connection(live, https):
    api = ApiClient(live.url.replace("http://", "https://"), ca_file=str(https.ca_file))
    with pytest.raises(ApiError) as caught:
        api.login("manager", DEMO_PASSWORD)
    assert caught.value.code == "tls.handshake_failed"
    assert problem_of(caught.value).message == tls_message("tls.handshake_failed")
