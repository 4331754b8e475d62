"""Typed calls to the server's HTTP API. Synchronous on purpose: `api.tasks` runs them
on worker threads and delivers results as Qt signals, so the UI thread never waits."""
from __future__ import annotations

import ipaddress
import ssl
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import httpx

from shared.schemas import (
    ApprovalPending,
    ApprovalRead,
    ArchivedCustomerRead,
    AuditEntry,
    BalanceSheetRead,
    CustomerPage,
    CustomerQuery,
    CustomerRead,
    ExportRecord,
    FinanceAnalysis,
    HistoryEntry,
    HouseholdRead,
    IncomeStatementRead,
    JobOutputRead,
    JobRead,
    LoginResponse,
    Me,
    OrgRead,
    Page,
    RecoveryCodes,
    TotpEnrolment,
    UserRead,
)

#: The two kinds of a household's statement: their path, period field and answer.
StatementPath = Literal["balance-sheets", "income-statements"]
STATEMENTS: dict[str, tuple[str, type[BalanceSheetRead] | type[IncomeStatementRead]]] = {
    "balance-sheets": ("as_of", BalanceSheetRead), "income-statements": ("year", IncomeStatementRead)}


@dataclass
class ApiError(Exception):
    """An error answer (problem+json) or, with status 0, no answer at all."""

    status: int
    code: str
    title: str = ""
    detail: str = ""
    field_errors: dict[str, str] = field(default_factory=dict)
    body: dict[str, Any] = field(default_factory=dict)
    #: the answer's Retry-After, in seconds (429, 503)
    retry_after: int | None = None

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.detail or self.title}"

    @property
    def unreachable(self) -> bool:
        return self.status == 0


# ---------------------------------------------------------------------------- TLS
# How the server is trusted (docs/API.md, "TLS"). An https:// server's certificate is
# checked, always (never `verify=False`): against the operating system's trust store
# (truststore: Windows' and macOS's own verifier, so a bank CA that IT installs there
# is trusted; OpenSSL's default paths on Linux), or, when the client is given a CA file
# (`--ca-file`, the `ca_file` setting), against that file alone. TLS 1.2 at least.
# Plain http:// only to a loopback address: anything else is refused before a byte
# is sent. A failure becomes an ApiError with a `tls.*` code (client/problems.py
# has the user's words).

#: OpenSSL's X509_V_ERR_* verify codes, and Windows' (CERT_E_*) and macOS's (errSec*)
#: as truststore reports them, by what they mean to the user.
_UNKNOWN_CA = {2, 18, 19, 20, 21, 27, 0x800B0109, 0x800B010A, 0x800B010D, -67843}
_HOST_MISMATCH = {62, 64, 0x800B010F, -67602}
_EXPIRED = {9, 10, 0x800B0101, -67818, -67819}
#: a TLS connection that ended, rather than one refused
_DROPPED = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError)
#: the words in a verifier's message when its code is one not listed above
_MESSAGE_WORDS = (("tls.hostname_mismatch", ("hostname", "host name", "ip address mismatch", "doesn't match")),
                  ("tls.certificate_expired", ("expired", "not yet valid", "validity period")),
                  ("tls.unknown_ca", ("unable to get local issuer", "self-signed", "self signed", "untrusted",
                                      "not trusted", "unknown ca", "unable to get issuer")))


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine only (plain HTTP is allowed there and nowhere else)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def tls_context(ca_file: str | None = None) -> ssl.SSLContext:
    """The context an https:// server's certificate and host name are checked with.
    An unreadable or empty CA file raises OSError or ssl.SSLError."""
    if ca_file:
        ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cafile=ca_file)
    else:
        try:
            import truststore
            ctx = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        except ImportError:  # not installed: OpenSSL's default trust store
            ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = True
    ctx.verify_mode = ssl.CERT_REQUIRED
    return ctx


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    """The TLS error under httpx's and httpcore's wrappers, if any."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, ssl.SSLError):
            return cause
        seen.add(id(cause))
        cause = cause.__cause__ or cause.__context__
    return None


def tls_error(exc: ssl.SSLError) -> ApiError:
    """What a failed TLS handshake means: an unknown CA, another host's certificate, an
    expired (or not yet valid) one, or no secure connection at all."""
    if isinstance(exc, ssl.SSLCertVerificationError):
        verify_code = getattr(exc, "verify_code", None)
        message = str(getattr(exc, "verify_message", "") or exc)
        code = "tls.certificate_invalid"
        if verify_code in _HOST_MISMATCH:
            code = "tls.hostname_mismatch"
        elif verify_code in _EXPIRED:
            code = "tls.certificate_expired"
        elif verify_code in _UNKNOWN_CA:
            code = "tls.unknown_ca"
        else:
            lowered = message.lower()
            code = next((c for c, words in _MESSAGE_WORDS if any(w in lowered for w in words)), code)
        return ApiError(0, code, "Server certificate not accepted", message)
    return ApiError(0, "tls.handshake_failed", "No secure connection", str(exc.reason or exc))


class ApiClient:
    """One server, one token. `transport` is injectable (tests); `ca_file`: the CA
    certificates (PEM) an https:// server's certificate must chain to, instead of the
    system's trust store."""

    #: Whether this client's user is known to have a second factor enrolled: its session
    #: was opened by `/auth/totp`, or it enrolled one. Re-authentication then asks for a
    #: code up front (otherwise the server's 422 at `code` says it is needed).
    second_factor: bool = False

    def __init__(self, base_url: str, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None,
                 ca_file: str | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.token: str | None = None
        self.ca_file = ca_file or None
        #: why nothing may be sent to this server, decided before anything is
        self.refusal: ApiError | None = None
        url = httpx.URL(self.base_url)
        verify: ssl.SSLContext | bool = True
        if url.scheme == "http" and not is_loopback(url.host) and not isinstance(transport, httpx.MockTransport):
            # (a MockTransport answers in this process: nothing of it travels over a network)
            self.refusal = ApiError(0, "tls.plain_http_remote", "Not encrypted",
                                    f"{self.base_url}: plain HTTP is allowed to this computer (loopback) only")
        if url.scheme == "https":
            try:
                verify = tls_context(self.ca_file)
            except (OSError, ssl.SSLError) as exc:
                self.refusal = ApiError(0, "tls.ca_file_unreadable", "CA file unreadable", f"{self.ca_file}: {exc}")
        self._http = httpx.Client(base_url=self.base_url + "/api/v1", timeout=timeout, transport=transport,
                                  verify=verify)

    @property
    def encrypted(self) -> bool:
        """Whether the connection is TLS (https://): plain http:// is only ever to loopback."""
        return httpx.URL(self.base_url).scheme == "https"

    def close(self) -> None:
        self._http.close()

    # ------------------------------------------------------------------ plumbing
    def _request(self, method: str, path: str, *, raw: bool = False, **kw: Any) -> Any:
        """The answer's JSON, or with `raw` its bytes (a PDF); an error answer raises."""
        if self.refusal is not None:
            raise replace(self.refusal)
        headers = kw.pop("headers", {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            r = self._http.request(method, path, headers=headers, **kw)
        except httpx.HTTPError as exc:
            cause = _ssl_cause(exc)
            # the certificate refused, or the handshake failed (a connection merely dropped is "unreachable")
            if cause is not None and (isinstance(cause, ssl.SSLCertVerificationError) or (
                    isinstance(exc, httpx.ConnectError) and not isinstance(cause, _DROPPED))):
                raise tls_error(cause) from None
            raise ApiError(0, "network.unreachable", "Server unreachable", str(exc)) from None
        if r.status_code >= 400:
            try:
                body = r.json()
                if not isinstance(body, dict):  # a proxy's page, a bare list: no problem+json
                    body = {}
            except ValueError:
                body = {}
            fields: dict[str, str] = {}
            for e in body.get("errors") or []:
                fields.setdefault(e.get("field", ""), e.get("code", ""))
            retry = r.headers.get("Retry-After", "")
            raise ApiError(r.status_code, body.get("code", f"http.{r.status_code}"), body.get("title", ""),
                           body.get("detail", ""), fields, body, int(retry) if retry.isdigit() else None)
        if raw:
            return r.content
        return r.json() if r.content else None

    def healthy(self) -> bool:
        """Whether the server answers (over the same checked connection as every request)."""
        if self.refusal is not None:
            return False
        try:
            return self._http.get(self.base_url + "/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    # ------------------------------------------------------------------ auth
    def login(self, username: str, password: str, device_token: str | None = None) -> LoginResponse:
        """`device_token`: from this user's last login on this workstation; it exempts the
        attempt from the per-address throttle a branch's shared NAT address would otherwise
        share with every colleague's typos. The answer carries the token to keep."""
        body = {"username": username, "password": password}
        if device_token:
            body["device_token"] = device_token
        res = LoginResponse.model_validate(self._request("POST", "/auth/login", json=body))
        self.token = res.access_token
        return res

    def me(self) -> Me:
        return Me.model_validate(self._request("GET", "/auth/me"))

    def logout(self) -> None:
        try:
            self._request("POST", "/auth/logout")
        finally:
            self.token = None

    def change_password(self, old: str, new: str, code: str | None = None) -> LoginResponse:
        """`code`: the second factor's (or a recovery code), needed once one is enrolled."""
        body = {"old_password": old, "new_password": new, **({"code": code} if code else {})}
        res = LoginResponse.model_validate(self._request("POST", "/auth/password", json=body))
        self.token = res.access_token
        return res

    def totp(self, mfa_token: str, code: str) -> LoginResponse:
        """The login's second step: the `mfa_token` of `login`'s challenge with the code of
        the authenticator app (or a recovery code) → the session, as `login` gives it, plus
        `recovery_codes` when it completed a first enrolment."""
        res = LoginResponse.model_validate(self._request("POST", "/auth/totp",
                                                         json={"mfa_token": mfa_token, "code": code}))
        self.token = res.access_token
        self.second_factor = True
        return res

    def start_totp_enrolment(self, password: str, code: str | None = None) -> TotpEnrolment:
        """A new second-factor secret for oneself, after the password (and, once enrolled,
        the current code): pending until `confirm_totp_enrolment` gets a code of it."""
        body = {"password": password, **({"code": code} if code else {})}
        return TotpEnrolment.model_validate(self._request("POST", "/auth/totp/enrolment", json=body))

    def confirm_totp_enrolment(self, code: str) -> RecoveryCodes:
        """A code of the new secret puts it in force (the old one stops working): its ten
        recovery codes, shown once."""
        res = RecoveryCodes.model_validate(self._request("POST", "/auth/totp/enrolment/confirm",
                                                         json={"code": code}))
        self.second_factor = True
        return res

    # ------------------------------------------------------------------ orgs and users
    def orgs(self) -> list[OrgRead]:
        return Page[OrgRead].model_validate(self._request("GET", "/orgs", params={"page_size": 200})).items

    def create_org(self, data: dict[str, Any]) -> OrgRead:
        return OrgRead.model_validate(self._request("POST", "/orgs", json=data))

    def update_org(self, org_id: int, version: int, changes: dict[str, Any]) -> OrgRead:
        return OrgRead.model_validate(self._request("PATCH", f"/orgs/{org_id}", json={**changes, "version": version}))

    def users(self, q: str = "", org_id: int | None = None, role: str | None = None) -> list[UserRead]:
        return self.users_page(q, org_id, role, 1, 200).items

    def users_page(self, q: str = "", org_id: int | None = None, role: str | None = None, page: int = 1,
                   page_size: int = 50) -> Page[UserRead]:
        params = {"q": q, "org_id": org_id, "role": role, "page": page, "page_size": page_size}
        return Page[UserRead].model_validate(
            self._request("GET", "/users", params={k: v for k, v in params.items() if v}))

    @staticmethod
    def _user_or_pending(body: dict[str, Any]) -> UserRead | ApprovalPending:
        """A privileged role is granted only after a second admin approves (202)."""
        if "approval_id" in body:
            return ApprovalPending.model_validate(body)
        return UserRead.model_validate(body)

    def create_user(self, data: dict[str, Any]) -> UserRead | ApprovalPending:
        return self._user_or_pending(self._request("POST", "/users", json=data))

    def update_user(self, user_id: int, version: int, changes: dict[str, Any]) -> UserRead | ApprovalPending:
        return self._user_or_pending(self._request("PATCH", f"/users/{user_id}",
                                                   json={**changes, "version": version}))

    def set_user_locked(self, user_id: int, locked: bool) -> UserRead | ApprovalPending:
        return self._user_or_pending(self._request("POST", f"/users/{user_id}/{'lock' if locked else 'unlock'}"))

    def reset_password(self, user_id: int, new_password: str) -> UserRead | ApprovalPending:
        return self._user_or_pending(self._request("POST", f"/users/{user_id}/password-reset",
                                                   json={"new_password": new_password}))

    def revoke_sessions(self, user_id: int) -> None:
        self._request("POST", f"/users/{user_id}/revoke-sessions")

    def approvals(self, status: str | None = "pending", mine: bool = False, page: int = 1) -> list[ApprovalRead]:
        return self.approvals_page(status, page, 200, mine=mine).items

    def approvals_page(self, status: str | None = "pending", page: int = 1, page_size: int = 50,
                       mine: bool = False) -> Page[ApprovalRead]:
        """`mine`: only the requests the user made (any status unless `status` says)."""
        params: dict[str, Any] = {"page": page, "page_size": page_size, **({"status": status} if status else {}),
                                  **({"mine": "true"} if mine else {})}
        return Page[ApprovalRead].model_validate(self._request("GET", "/approvals", params=params))

    def decide_approval(self, approval_id: int, version: int, approve: bool, reason: str | None = None) -> ApprovalRead:
        verb = "approve" if approve else "reject"
        return ApprovalRead.model_validate(self._request("POST", f"/approvals/{approval_id}/{verb}",
                                                         json={"version": version, "reason": reason}))

    def audit(self, action: str = "", object_id: str = "", page_size: int = 200) -> list[AuditEntry]:
        return self.audit_page(action, object_id, 1, page_size).items

    def audit_page(self, action: str = "", object_id: str = "", page: int = 1, page_size: int = 50) -> Page[AuditEntry]:
        params = {"action": action, "object_id": object_id, "page": page, "page_size": page_size}
        return Page[AuditEntry].model_validate(
            self._request("GET", "/audit", params={k: v for k, v in params.items() if v}))

    def record_export(self, listed: str, export: ExportRecord) -> None:
        """Put an export of the list at `/{listed}` on the audit trail (before its file is written)."""
        self._request("POST", f"/{listed}/exports", json=export.model_dump(mode="json"))

    # ------------------------------------------------------------------ customers
    def search_customers(self, query: CustomerQuery, page: int = 1, page_size: int = 50) -> CustomerPage:
        """The query's own parameters (only what differs from its defaults) plus paging."""
        params: dict[str, str | int] = {**query.params(), "page": page, "page_size": page_size}
        return CustomerPage.model_validate(self._request("GET", "/customers", params=params))

    def customer(self, customer_id: int) -> CustomerRead:
        return CustomerRead.model_validate(self._request("GET", f"/customers/{customer_id}"))

    def create_customer(self, data: dict[str, Any], idempotency_key: str | None = None) -> CustomerRead:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return CustomerRead.model_validate(self._request("POST", "/customers", json=data, headers=headers))

    def update_customer(self, customer_id: int, version: int, changes: dict[str, Any],
                        idempotency_key: str | None = None) -> CustomerRead | ApprovalPending:
        """The saved customer, or the pending request when a move needs a checker (202)."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        body = self._request("PATCH", f"/customers/{customer_id}", json={**changes, "version": version},
                             headers=headers)
        return ApprovalPending.model_validate(body) if "approval_id" in body else CustomerRead.model_validate(body)

    def delete_customer(self, customer_id: int, version: int, reason: str) -> ApprovalPending:
        """A request for a checker (202), never a direct delete: once approved the customer
        is archived (and may be restored for a while by a branch manager)."""
        return ApprovalPending.model_validate(self._request(
            "DELETE", f"/customers/{customer_id}", json={"version": version, "reason": reason}))

    def archived_customers(self, q: str = "", page: int = 1, page_size: int = 50) -> Page[ArchivedCustomerRead]:
        params: dict[str, Any] = {"page": page, "page_size": page_size, **({"q": q} if q else {})}
        return Page[ArchivedCustomerRead].model_validate(self._request("GET", "/archive/customers", params=params))

    def restore_customer(self, customer_id: int, reason: str | None = None) -> CustomerRead:
        return CustomerRead.model_validate(self._request(
            "POST", f"/archive/customers/{customer_id}/restore", json={"reason": reason} if reason else {}))

    def history(self, customer_id: int) -> list[HistoryEntry]:
        return Page[HistoryEntry].model_validate(
            self._request("GET", f"/customers/{customer_id}/history", params={"page_size": 200})).items

    # ------------------------------------------------------------------ household finance
    def household(self, customer_id: int) -> HouseholdRead:
        return HouseholdRead.model_validate(self._request("GET", f"/customers/{customer_id}/household"))

    def put_household(self, customer_id: int, version: int, members: list[dict[str, Any]]) -> HouseholdRead:
        return HouseholdRead.model_validate(self._request(
            "PUT", f"/customers/{customer_id}/household", json={"version": version, "members": members}))

    def statements(self, kind: StatementPath, customer_id: int) -> list[BalanceSheetRead] | list[IncomeStatementRead]:
        """A customer's balance sheets or income tables, newest first (every one: a
        household has a few a year at most)."""
        read = STATEMENTS[kind][1]
        return Page[read].model_validate(self._request(  # type: ignore[valid-type]
            "GET", f"/customers/{customer_id}/{kind}", params={"page_size": 200})).items

    def save_statement(self, kind: StatementPath, customer_id: int, period: str | int, lines: list[dict[str, Any]],
                       statement_id: int | None = None, version: int | None = None
                       ) -> BalanceSheetRead | IncomeStatementRead:
        """A new statement of `period` (a balance sheet's date, an income table's year), or
        (with its id and version) the statement's lines replaced."""
        key, read = STATEMENTS[kind]
        base = f"/customers/{customer_id}/{kind}"
        body = self._request("POST", base, json={key: period, "lines": lines}) if statement_id is None else \
            self._request("PATCH", f"{base}/{statement_id}", json={"version": version, "lines": lines})
        saved: BalanceSheetRead | IncomeStatementRead = read.model_validate(body)
        return saved

    def finance_analysis(self, customer_id: int, as_of: str | None = None, year: int | None = None
                         ) -> FinanceAnalysis:
        params = {k: v for k, v in (("as_of", as_of), ("year", year)) if v is not None}
        return FinanceAnalysis.model_validate(self._request(
            "GET", f"/customers/{customer_id}/finance-analysis", params=params))

    def statement_pdf(self, customer_id: int, lang: str, as_of: str | None = None, year: int | None = None
                      ) -> bytes:
        """The printed statement (the server puts the print on the audit trail)."""
        params: dict[str, Any] = {"lang": lang, **{k: v for k, v in (("as_of", as_of), ("year", year))
                                                   if v is not None}}
        data: bytes = self._request("GET", f"/customers/{customer_id}/statement", params=params, raw=True)
        return data

    # ------------------------------------------------------------------ jobs
    def start_statement_batch(self, lang: str, manager_id: int | None = None, as_of: str | None = None,
                              year: int | None = None) -> JobRead:
        body = {"lang": lang, "manager_id": manager_id, "as_of": as_of, "year": year}
        return JobRead.model_validate(self._request("POST", "/statements/batches", json=body))

    def job(self, job_id: int) -> JobRead:
        return JobRead.model_validate(self._request("GET", f"/jobs/{job_id}"))

    def cancel_job(self, job_id: int) -> JobRead:
        return JobRead.model_validate(self._request("POST", f"/jobs/{job_id}/cancel"))

    def job_outputs(self, job_id: int) -> list[JobOutputRead]:
        """Every file the job made, page after page."""
        out: list[JobOutputRead] = []
        page = 1
        while True:
            got = Page[JobOutputRead].model_validate(self._request(
                "GET", f"/jobs/{job_id}/outputs", params={"page": page, "page_size": 200}))
            out += got.items
            if not got.items or len(out) >= got.total:
                return out
            page += 1

    def job_output(self, job_id: int, output_id: int) -> bytes:
        data: bytes = self._request("GET", f"/jobs/{job_id}/outputs/{output_id}", raw=True)
        return data
