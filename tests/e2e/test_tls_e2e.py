"""TLS end to end (issue 15): a real `crm-server serve --tls-cert --tls-key` process with
throwaway certificates (trustme), and the desktop client's API client checking it.

The server: TLS 1.2 or newer, the certificate and key checked before it starts (one line
when they cannot be served), the mode logged. The client: the server's certificate must
chain to the configured CA file (or the system's trust store), be for the host name
asked for and be within its dates; each failure is its own clear message.
"""
from __future__ import annotations

import os
import socket
import ssl
import subprocess
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import trustme

from client.api.client import ApiClient, ApiError
from client.problems import Kind, problem_of
from tests.e2e.conftest import ADMIN_PASSWORD, crm_server, free_port, run

pytestmark = pytest.mark.e2e


@dataclass
class Pems:
    ca: Path
    cert: Path
    key: Path


def write_pems(directory: Path, ca: trustme.CA, leaf: trustme.LeafCert, name: str) -> Pems:
    directory.mkdir(parents=True, exist_ok=True)
    pems = Pems(directory / f"{name}-ca.pem", directory / f"{name}-cert.pem", directory / f"{name}-key.pem")
    ca.cert_pem.write_to_path(str(pems.ca))
    pems.cert.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    leaf.private_key_pem.write_to_path(str(pems.key))
    return pems


@dataclass
class TlsServer:
    url: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _any_certificate() -> ssl.SSLContext:
    """For the start-up probe only (is it up and speaking TLS?): the tests check the certificates."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def start_tls_server(env: dict[str, str], log: Path, *args: str, host: str = "127.0.0.1") -> TlsServer:
    """`serve --host HOST ARGS...` until it answers /healthz over TLS."""
    port = free_port()
    proc = subprocess.Popen([*crm_server(), "serve", "--host", host, "--port", str(port), *args], env=env,
                            stdout=open(log, "wb"), stderr=subprocess.STDOUT)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"crm-server exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(url + "/healthz", timeout=1, verify=_any_certificate()).status_code == 200:
                return TlsServer(url, port, proc, log)
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"crm-server did not answer over TLS within 60 s: {log.read_text()[-2000:]}")


def tls_args(pems: Pems) -> list[str]:
    return ["--tls-cert", str(pems.cert), "--tls-key", str(pems.key)]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """init + create-admin, once for the module's servers (one database, one key file)."""
    tmp = tmp_path_factory.mktemp("tls")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CRM_")}
    env.update(CRM_DATABASE_URL=f"sqlite:///{tmp / 'crm.sqlite3'}", CRM_KEY_FILE=str(tmp / "keys.json"),
               CRM_MFA_ROLES="", CRM_ADMIN_PASSWORD=ADMIN_PASSWORD)
    for args in (["init"], ["create-admin", "admin"]):
        r = run(args, env)
        assert r.returncode == 0, r.stderr
    return env


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def pems(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Pems:
    return write_pems(tmp_path_factory.mktemp("pems"), ca, ca.issue_cert("127.0.0.1", "localhost"), "good")


@pytest.fixture(scope="module")
def server(env: dict[str, str], pems: Pems, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    s = start_tls_server(env, tmp_path_factory.mktemp("log") / "server.log", *tls_args(pems))
    yield s
    s.stop()


def refused(api: ApiClient) -> ApiError:
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        api.login("admin", ADMIN_PASSWORD)
    assert time.monotonic() - started < 5  # refused at once, not retried
    assert api.token is None
    return caught.value


# ----------------------------------------------------------------------------- the client's checks
def test_the_client_with_the_servers_ca_file_logs_in(server, pems):
    api = ApiClient(server.url, ca_file=str(pems.ca))
    assert api.encrypted
    api.login("admin", ADMIN_PASSWORD)
    assert api.me().user.username == "admin"
    assert api.healthy()
    log = server.log.read_text()
    assert "serving HTTPS on 127.0.0.1" in log and "TLS 1.2 or newer" in log and "valid until" in log
    assert "Testing cert" in log  # the certificate's subject (trustme's organisational unit)


def test_a_certificate_of_another_ca_is_refused_as_not_from_a_trusted_authority(server, tmp_path):
    other = trustme.CA()
    other.cert_pem.write_to_path(str(tmp_path / "other-ca.pem"))
    err = refused(ApiClient(server.url, ca_file=str(tmp_path / "other-ca.pem")))
    assert err.code == "tls.unknown_ca"
    p = problem_of(err)
    assert p.kind is Kind.FAILED
    assert "the server's certificate is not signed by a trusted authority" in p.message.lower()


def test_the_system_trust_store_does_not_know_a_private_ca(server):
    """No CA file: the operating system's trust store, where trustme's CA is not."""
    err = refused(ApiClient(server.url))
    assert err.code == "tls.unknown_ca"


def test_an_unreadable_ca_file_is_said_before_anything_is_sent(server, tmp_path):
    (tmp_path / "empty.pem").write_text("")
    for path in (tmp_path / "missing.pem", tmp_path / "empty.pem"):
        err = refused(ApiClient(server.url, ca_file=str(path)))
        assert err.code == "tls.ca_file_unreadable"
        assert "CA file" in problem_of(err).message


def test_a_certificate_for_another_host_name_is_refused(env, ca, tmp_path):
    pems = write_pems(tmp_path, ca, ca.issue_cert("other.example"), "other-host")
    s = start_tls_server(env, tmp_path / "server.log", *tls_args(pems))
    try:
        err = refused(ApiClient(s.url, ca_file=str(pems.ca)))
        assert err.code == "tls.hostname_mismatch"
        assert "another host name" in problem_of(err).message
        # the same, by name: localhost is not other.example either
        err = refused(ApiClient(f"https://localhost:{s.port}", ca_file=str(pems.ca)))
        assert err.code == "tls.hostname_mismatch"
    finally:
        s.stop()


def test_an_expired_certificate_is_refused_and_the_server_warns_of_it(env, ca, tmp_path):
    now = datetime.now(UTC)
    leaf = ca.issue_cert("127.0.0.1", not_before=now - timedelta(days=400), not_after=now - timedelta(days=1))
    pems = write_pems(tmp_path, ca, leaf, "expired")
    s = start_tls_server(env, tmp_path / "server.log", *tls_args(pems))
    try:
        err = refused(ApiClient(s.url, ca_file=str(pems.ca)))
        assert err.code == "tls.certificate_expired"
        assert "expired or is not yet valid" in problem_of(err).message
        assert "the TLS certificate expired on" in s.log.read_text()
    finally:
        s.stop()


def test_a_certificate_not_yet_valid_is_refused(env, ca, tmp_path):
    now = datetime.now(UTC)
    leaf = ca.issue_cert("127.0.0.1", not_before=now + timedelta(days=2), not_after=now + timedelta(days=30))
    pems = write_pems(tmp_path, ca, leaf, "future")
    s = start_tls_server(env, tmp_path / "server.log", *tls_args(pems))
    try:
        err = refused(ApiClient(s.url, ca_file=str(pems.ca)))
        assert err.code == "tls.certificate_expired"
        assert "not valid before" in s.log.read_text()
    finally:
        s.stop()


# ----------------------------------------------------------------------------- TLS versions
def handshake(port: int, ca_pem: Path, version: ssl.TLSVersion) -> str:
    """The version agreed with a client that offers only `version` (SSLError when the server refuses it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(str(ca_pem))
    with warnings.catch_warnings():  # TLS 1.1 is deprecated: that is what is tested
        warnings.simplefilter("ignore", DeprecationWarning)
        if version < ssl.TLSVersion.TLSv1_2:
            ctx.set_ciphers("DEFAULT:@SECLEVEL=0")  # so that this client does offer it
        ctx.minimum_version = ctx.maximum_version = version
    with socket.create_connection(("127.0.0.1", port), timeout=5) as raw, \
            ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
        return str(tls.version())


def tls_1_1() -> ssl.TLSVersion:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return ssl.TLSVersion.TLSv1_1


def assert_tls_12_and_13_only(port: int, ca_pem: Path) -> None:
    with pytest.raises((ssl.SSLError, ConnectionResetError)) as caught:
        handshake(port, ca_pem, tls_1_1())
    # the server's refusal (a protocol_version alert, or the connection closed), not this client's
    reason = str(getattr(caught.value, "reason", "") or caught.value)
    assert reason in ("TLSV1_ALERT_PROTOCOL_VERSION", "UNEXPECTED_EOF_WHILE_READING") or \
        isinstance(caught.value, (ssl.SSLEOFError, ConnectionResetError)), caught.value
    assert handshake(port, ca_pem, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
    if ssl.HAS_TLSv1_3:
        assert handshake(port, ca_pem, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"


def test_the_tls_1_1_client_does_offer_tls_1_1(ca, pems):
    """The refusal below is the server's: this client completes a TLS 1.1 handshake with
    a server that still accepts it (OpenSSL here can speak it)."""
    import threading
    lenient = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    lenient.load_cert_chain(str(pems.cert), str(pems.key))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        lenient.set_ciphers("DEFAULT:@SECLEVEL=0")
        lenient.minimum_version = tls_1_1()
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()

        def accept() -> None:
            conn, _ = listening.accept()
            try:
                with lenient.wrap_socket(conn, server_side=True):
                    pass
            except (ssl.SSLError, OSError):
                conn.close()
        t = threading.Thread(target=accept, daemon=True)
        t.start()
        assert handshake(listening.getsockname()[1], pems.ca, tls_1_1()) == "TLSv1.1"
        t.join(5)


def test_tls_1_1_is_refused_1_2_and_1_3_are_served(server, pems):
    assert_tls_12_and_13_only(server.port, pems.ca)


def test_two_workers_serve_tls_1_2_or_newer(env, pems, tmp_path):
    s = start_tls_server(env, tmp_path / "workers.log", *tls_args(pems), "--workers", "2")
    try:
        api = ApiClient(s.url, ca_file=str(pems.ca))
        api.login("admin", ADMIN_PASSWORD)
        for _ in range(4):  # new connections, spread over the workers
            assert ApiClient(s.url, ca_file=str(pems.ca)).healthy()
            assert_tls_12_and_13_only(s.port, pems.ca)
        assert api.me().user.username == "admin"
    finally:
        s.stop()


# ----------------------------------------------------------------------------- what serve accepts
def test_serving_on_every_interface_with_tls_is_allowed(env, pems, tmp_path):
    s = start_tls_server(env, tmp_path / "server.log", *tls_args(pems), host="0.0.0.0")
    try:
        api = ApiClient(s.url, ca_file=str(pems.ca))
        api.login("admin", ADMIN_PASSWORD)
        assert "serving HTTPS on 0.0.0.0" in s.log.read_text()
    finally:
        s.stop()


def test_the_certificate_and_key_may_come_from_the_environment_and_a_flag_overrides_them(env, pems, tmp_path):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    from_env = dict(env, CRM_TLS_CERT=str(pems.cert), CRM_TLS_KEY=str(pems.key))
    s = start_tls_server(from_env, tmp_path / "env.log")
    try:
        ApiClient(s.url, ca_file=str(pems.ca)).login("admin", ADMIN_PASSWORD)
    finally:
        s.stop()
    r = run(["serve", "--port", "1"], dict(env, CRM_TLS_CERT=str(junk), CRM_TLS_KEY=str(pems.key)))
    assert r.returncode == 2 and "holds no PEM certificate" in r.stderr
    s = start_tls_server(dict(env, CRM_TLS_CERT=str(junk), CRM_TLS_KEY=str(junk)), tmp_path / "flag.log",
                         *tls_args(pems))
    try:
        ApiClient(s.url, ca_file=str(pems.ca)).login("admin", ADMIN_PASSWORD)
    finally:
        s.stop()


def one_line_refusal(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode != 0
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_a_certificate_without_its_key_or_a_key_without_its_certificate_is_refused(env, pems):
    line = one_line_refusal(run(["serve", "--port", "1", "--tls-cert", str(pems.cert)], env))
    assert "--tls-cert needs --tls-key" in line
    line = one_line_refusal(run(["serve", "--port", "1", "--tls-key", str(pems.key)], env))
    assert "--tls-key needs --tls-cert" in line
    line = one_line_refusal(run(["serve", "--port", "1"], dict(env, CRM_TLS_CERT=str(pems.cert))))
    assert "CRM_TLS_CERT needs CRM_TLS_KEY" in line


def test_an_unreadable_or_mismatched_certificate_or_key_is_refused_in_one_line(env, ca, pems, tmp_path):
    stranger = write_pems(tmp_path, ca, ca.issue_cert("127.0.0.1"), "stranger")
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n")
    unreadable = tmp_path / "unreadable.pem"
    unreadable.write_bytes(pems.key.read_bytes())
    unreadable.chmod(0)
    cases = [
        ([str(tmp_path / "missing.pem"), str(pems.key)], "cannot read the TLS certificate file"),
        ([str(pems.cert), str(tmp_path / "missing.pem")], "cannot read the TLS key file"),
        ([str(pems.cert), str(stranger.key)], "does not belong to the certificate"),
        ([str(pems.key), str(pems.key)], "holds no PEM certificate"),
        ([str(pems.cert), str(garbage)], "cannot be used"),
    ]
    if os.geteuid() != 0:  # root reads any file
        cases.append(([str(pems.cert), str(unreadable)], "cannot read the TLS key file"))
    for (cert, key), words in cases:
        line = one_line_refusal(run(["serve", "--port", "1", "--tls-cert", cert, "--tls-key", key], env))
        assert line.startswith("refusing to start:") and words in line, (cert, key, line)
