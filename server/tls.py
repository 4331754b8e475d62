"""TLS for `crm-server serve --tls-cert F --tls-key F` (docs/API.md, "TLS").

The certificate and key are checked before the server starts (`check_pair`: one clear
line instead of a traceback from inside uvicorn), and uvicorn serves with a context of
TLS 1.2 or newer (`uvicorn_context`, given to uvicorn as its `ssl_context_factory`,
also by the supervisor of `--workers N`). Imports nothing but the standard library: the
supervisor (server/supervise.py) imports this module.
"""
from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: TLS 1.0 and 1.1 are refused (RFC 8996); 1.3 is offered where OpenSSL has it.
MINIMUM_VERSION = ssl.TLSVersion.TLSv1_2


class TLSConfigError(Exception):
    """Why the certificate and key cannot be served: one line for the operator."""


@dataclass(frozen=True)
class Certificate:
    """What the start-up log says about the certificate served."""

    subject: str
    names: str
    not_before: datetime | None
    not_after: datetime | None

    def describe(self) -> str:
        until = self.not_after.strftime("%Y-%m-%d %H:%M UTC") if self.not_after else "?"
        return f"subject {self.subject or '-'}, names {self.names or '-'}, valid until {until}"

    def validity_problem(self, now: datetime | None = None) -> str | None:
        """Why clients will refuse the certificate's dates, or None."""
        now = now or datetime.now(UTC)
        if self.not_after is not None and self.not_after < now:
            return f"the TLS certificate expired on {self.not_after:%Y-%m-%d}: clients will refuse it"
        if self.not_before is not None and self.not_before > now:
            return f"the TLS certificate is not valid before {self.not_before:%Y-%m-%d}: clients will refuse it"
        return None


def server_context() -> ssl.SSLContext:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = MINIMUM_VERSION
    return ctx


def uvicorn_context(_config: Any, default: Callable[[], ssl.SSLContext]) -> ssl.SSLContext:
    """uvicorn's `ssl_context_factory`: its context (certificate, key, ciphers) with TLS 1.2 at least."""
    ctx = default()
    ctx.minimum_version = MINIMUM_VERSION
    return ctx


def check_pair(cert: str | Path, key: str | Path) -> Certificate:
    """Load the pair as the server will; TLSConfigError says why it cannot be served."""
    texts: dict[str, str] = {}
    for what, path in (("certificate", cert), ("key", key)):
        try:
            texts[what] = Path(path).read_text(encoding="ascii", errors="replace")
        except OSError as exc:
            raise TLSConfigError(f"cannot read the TLS {what} file {path}: {exc.strerror or exc}") from None
    if "-----BEGIN CERTIFICATE-----" not in texts["certificate"]:
        raise TLSConfigError(f"the TLS certificate file {cert} holds no PEM certificate")
    if "ENCRYPTED" in texts["key"]:
        raise TLSConfigError(f"the TLS key {key} is protected by a passphrase: give the server an unencrypted key "
                             "file that only its account may read")
    try:
        # a passphrase prompt would wait forever on a service: an empty answer fails instead
        server_context().load_cert_chain(cert, key, password=lambda: "")
    except ssl.SSLError as exc:
        if exc.reason == "KEY_VALUES_MISMATCH":
            raise TLSConfigError(f"the TLS key {key} does not belong to the certificate {cert}") from None
        raise TLSConfigError(f"the TLS certificate {cert} and key {key} cannot be used ({exc.reason or exc}): "
                             "PEM files expected, the certificate (and its chain) and an unencrypted key") from None
    return _describe(cert)


def _describe(cert: str | Path) -> Certificate:
    """The first certificate of the file (the server's own, before its chain)."""
    import _ssl
    decode = getattr(_ssl, "_test_decode_cert", None)  # the ssl module's own PEM reader
    try:
        info: dict[str, Any] = decode(str(cert)) if decode is not None else {}
    except (ssl.SSLError, OSError, ValueError):
        info = {}
    subject = ", ".join(f"{k}={v}" for rdn in info.get("subject", ()) for k, v in rdn)
    names = ", ".join(f"{k}:{v}" for k, v in info.get("subjectAltName", ()))
    return Certificate(subject, names, _when(info.get("notBefore")), _when(info.get("notAfter")))


def _when(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromtimestamp(ssl.cert_time_to_seconds(value), UTC)
    except (ValueError, OverflowError):
        return None


__all__ = ["MINIMUM_VERSION", "Certificate", "TLSConfigError", "check_pair", "server_context", "uvicorn_context"]
