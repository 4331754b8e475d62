"""Settings from `CRM_*` environment variables or CLI flags (an explicit flag wins).

Built by `get_settings()`, which tests call with overrides; nothing reads the
environment at import time (STYLE.md, convention 7).
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.enums import Role

APP_NAME = "branch-crm"
#: OWASP's cheapest recommended argon2id configuration, m=7168 KiB with t=5, as memory x passes.
OWASP_MIN_ARGON2_WORK = 7168 * 5


#: Connections of a server process's pool beyond the requests': its job worker and its
#: audit sealer (server/dbgate.py).
BACKGROUND_CONNECTIONS = 2


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CRM_", extra="ignore", validate_default=True)

    #: `sqlite:///PATH` or `postgresql://user@host:port/db`; None: SQLite in the user data dir.
    database_url: str | None = None
    #: Key file (created 0600 by `init`); default in the per-user config dir, never beside the data.
    key_file: Path | None = None
    profile: Literal["production", "development"] = "production"
    #: Comma-separated roles whose logins need a second factor (TOTP, services/mfa.py); by
    #: default every staff login (seed 003 §3.4.1); empty: none (plain string: see TRAPS.md
    #: on lists).
    mfa_roles: str = "teller,account_manager,branch_manager,head_office_admin,auditor"
    behind_tls_proxy: bool = False
    #: `serve` over TLS (1.2 or newer): the certificate (PEM, with its chain) and its
    #: unencrypted key; the env equivalents of `--tls-cert` / `--tls-key` (docs/API.md, "TLS").
    tls_cert: Path | None = None
    tls_key: Path | None = None
    #: The bank's name on printed statements; empty: the head office's name.
    bank_name: str = ""
    #: The most customers one batch of printed statements may hold.
    statement_batch_limit: int = 2000
    #: Days after its deletion an archived customer can still be restored (`CRM_RESTORE_DAYS`).
    restore_days: int = Field(default=30, ge=1)
    #: PostgreSQL: the non-superuser role the server acts as when given a superuser URL.
    db_app_role: str = "crm_app"

    # Login protection. After `login_throttle_after` consecutive failures for one username,
    # each further attempt must wait `login_throttle_seconds` * 2^(n - after) (capped at
    # 5 min) or gets 429; after `login_lock_after` failures the account is locked until an
    # admin unlocks it. Per source address: at most `login_address_limit` failures per
    # `login_address_window_seconds`.
    login_throttle_after: int = 3
    login_throttle_seconds: float = 1.0
    login_lock_after: int = 10
    login_address_limit: int = 50
    login_address_window_seconds: int = 300
    #: Put every user-administration change (create, name, position, role, org, unlock,
    #: password reset) under four eyes, as many banks require; locking and ending
    #: sessions stay immediate. Off: only changes touching a privileged role need it.
    user_admin_four_eyes: bool = False
    #: A device token unused for this many days no longer exempts from the address throttle.
    device_token_days: int = 90

    # Session tokens: idle and absolute expiry.
    token_idle_minutes: int = 30
    token_absolute_hours: int = 12

    # The request path (docs/PERFORMANCE.md). `db_pool_size` is the one sizing setting:
    # each server process keeps that many database connections (plus one for its job
    # worker) and admits that many requests to the database at once; more wait, cheaply,
    # in the event loop, never in a thread holding nothing. `serve` refuses to start when
    # workers x (pool + 1) does not fit PostgreSQL's max_connections with room to spare.
    db_pool_size: int = Field(default=8, ge=1, le=500)
    #: Connections PostgreSQL must keep free beyond the server's (psql, backups, migrations, monitors).
    db_spare_connections: int = Field(default=10, ge=0)
    #: On PostgreSQL, the hot reads (search, open a customer, /auth/me) run on a second
    #: pool of `db_pool_size` asyncio connections, in the event loop (server/executor.py);
    #: a process then keeps 2 x pool + 1 connections. Off: every request uses the engine.
    async_reads: bool = True
    #: The hot reads' well-formed GETs are answered by a middleware that calls the
    #: route's own answer function without FastAPI's routing and dependency solving
    #: (server/api/hot.py); anything else still goes through FastAPI. Off: FastAPI always.
    fast_reads: bool = True
    #: One INFO line per request (path and query parameter *names*, never values); off by
    #: default, as it costs CPU on the hottest path.
    access_log: bool = False
    #: Listen backlog: a morning's 10,000 workstations connecting at once must all be
    #: accepted (the kernel caps it at net.core.somaxconn).
    backlog: int = Field(default=8192, ge=64)
    #: On SIGTERM, requests in flight get this long to finish before they are cancelled.
    shutdown_grace_seconds: float = Field(default=8.0, ge=0)

    # Password hashing: argon2id (RFC 9106) at OWASP's recommended cost or above. OWASP's
    # equivalent choices (p=1): m=47104 KiB t=1, m=19456 t=2, m=12288 t=3, m=9216 t=4,
    # m=7168 t=5; the default is the one fastest on a 2-core server (docs/PERFORMANCE.md).
    # Settings below that floor are refused. Stored hashes carry their own parameters and
    # are upgraded at the next successful login.
    password_hash_memory_kib: int = Field(default=7168, ge=7168)
    password_hash_time_cost: int = Field(default=5, ge=1)
    password_hash_parallelism: int = Field(default=1, ge=1, le=16)
    #: Hashes computed at once per server process: a login rush queues here and leaves
    #: the other cores to look-ups.
    password_hash_concurrency: int = Field(default=1, ge=1, le=64)
    #: How much lower the hashing threads' CPU priority is (Linux nice, 0-19): a core a
    #: look-up needs goes to it first, logins take what is left.
    password_hash_niceness: int = Field(default=10, ge=0, le=19)

    #: Search results beyond this count are reported as "N+" (TRAPS.md: counting costs).
    search_count_cap: int = 1_000
    max_page_size: int = 200
    #: Largest request body accepted, in bytes.
    max_body_bytes: int = 1_000_000
    #: Authenticated requests one user may make per minute in one server process (a
    #: token bucket that holds `rate_limit_burst`, default the same number); beyond it
    #: 429 with Retry-After. 0: no limit (the default: a branch's staff work in bursts,
    #: and login throttling is separate).
    rate_limit_per_minute: int = Field(default=0, ge=0)
    rate_limit_burst: int = Field(default=0, ge=0)

    # Background jobs (server/services/jobs.py). `serve` runs one worker thread per server
    # process unless `job_worker` is off; `crm-server worker` runs more, anywhere. A
    # running job writes a heartbeat every `job_heartbeat_seconds` (0: only when a batch
    # commits); one whose heartbeat is older than `job_timeout_seconds` is taken to have
    # lost its worker and is reclaimed by another, resuming from its checkpoint. After
    # `job_max_attempts` such claims the job fails (`job.abandoned`) instead of crashing
    # worker after worker. `job_batch_pause_seconds` between batches leaves the database
    # room for the day's traffic during a long job.
    job_worker: bool = True
    #: How often a server process seals new audit entries into the chain
    #: (server/services/auditchain.py); 0: never (another process does).
    audit_seal_seconds: float = Field(default=1.0, ge=0)
    job_poll_seconds: float = Field(default=2.0, gt=0)
    job_heartbeat_seconds: float = Field(default=10.0, ge=0)
    job_timeout_seconds: float = Field(default=60.0, gt=0)
    job_max_attempts: int = Field(default=5, ge=1)
    job_batch_pause_seconds: float = Field(default=0.0, ge=0)

    @field_validator("mfa_roles")
    @classmethod
    def _known_roles(cls, v: str) -> str:
        for part in (p.strip() for p in v.split(",")):
            if part and part not in {r.value for r in Role}:
                raise ValueError(f"unknown role in CRM_MFA_ROLES: {part}")
        return v

    @model_validator(mode="after")
    def _heartbeat_within_timeout(self) -> Settings:
        if self.job_heartbeat_seconds and self.job_heartbeat_seconds * 2 > self.job_timeout_seconds:
            raise ValueError("CRM_JOB_TIMEOUT_SECONDS must be at least twice CRM_JOB_HEARTBEAT_SECONDS, "
                             "or a live job would be reclaimed")
        return self

    @model_validator(mode="after")
    def _password_hash_at_owasp_cost(self) -> Settings:
        if self.password_hash_memory_kib * self.password_hash_time_cost < OWASP_MIN_ARGON2_WORK:
            raise ValueError("CRM_PASSWORD_HASH_MEMORY_KIB x CRM_PASSWORD_HASH_TIME_COST is below OWASP's "
                             "recommended argon2id cost (e.g. 19456 KiB x 2, 9216 KiB x 4, 7168 KiB x 5)")
        return self

    @property
    def mfa_role_set(self) -> frozenset[str]:
        return frozenset(p.strip() for p in self.mfa_roles.split(",") if p.strip())

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        data_dir = Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))
        data_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{data_dir / 'crm.sqlite3'}"

    @property
    def resolved_key_file(self) -> Path:
        if self.key_file:
            return Path(self.key_file)
        return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False)) / "keys.json"

    @property
    def development(self) -> bool:
        return self.profile == "development"


def get_settings(**overrides: Any) -> Settings:
    """Settings from the environment, with explicit (non-None) overrides winning."""
    return Settings(**{k: v for k, v in overrides.items() if v is not None})
