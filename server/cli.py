"""`crm-server`: init, create-admin, serve, demo, worker, rebuild-search-keys, import,
audit verify / head, backup, restore (CONTRACT.md: command line)."""
from __future__ import annotations

import argparse
import getpass
import ipaddress
import json
import logging
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import inspect, text

from server import logs
from server.db import make_engine, make_sessionmaker, prepare_app_role, use_app_role
from server.keys import KeyFileError, create_key_file, load_key_file
from server.settings import BACKGROUND_CONNECTIONS, Settings, get_settings

# What a command needs is imported inside it: `serve --workers N`'s parent process only
# supervises, and should not carry the application's memory (docs/PERFORMANCE.md).

log = logging.getLogger("crm.server")


def _settings(args: argparse.Namespace, **extra: object) -> Settings:
    from server import security
    settings = get_settings(database_url=getattr(args, "database_url", None), **extra)
    security.configure_from(settings)
    return settings


def cmd_init(args: argparse.Namespace) -> int:
    from server.migrate import upgrade
    from server.services import auditchain
    from server.services.orgs import ensure_head_office
    settings = _settings(args)
    if create_key_file(settings.resolved_key_file):
        print(f"created key file {settings.resolved_key_file} (keep it safe, outside backups of the data)")
    engine = make_engine(settings.resolved_database_url)
    chained_before = inspect(engine).has_table("audit_chain")
    upgrade(engine)
    factory = make_sessionmaker(engine, settings.resolved_key_file)
    with factory() as db:
        ensure_head_office(db)
        db.commit()
    # entries from before the audit chain existed: the upgrade that adds it vouches for them
    auditchain.seal_all(factory, vouch_legacy=not chained_before)
    if prepare_app_role(engine, settings.db_app_role):
        print(f"the server will act as the PostgreSQL role {settings.db_app_role} (no superuser powers)")
    print(f"database ready: {engine.url.render_as_string(hide_password=True)}")
    return 0


def cmd_create_admin(args: argparse.Namespace) -> int:
    settings = _settings(args)
    password = os.environ.get("CRM_ADMIN_PASSWORD")
    if not password:
        password = getpass.getpass("Password: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    engine = make_engine(settings.resolved_database_url)
    from server.errors import Problem
    from server.services import mfa
    from server.services.orgs import ensure_head_office
    from server.services.users import create_first_admin
    from shared.enums import Role
    uri = None
    with make_sessionmaker(engine, settings.resolved_key_file)() as db:
        ho = ensure_head_office(db)
        try:
            user = create_first_admin(db, args.username, password, ho.id)
            if Role.HEAD_OFFICE_ADMIN.value in settings.mfa_role_set:
                # the secret the admin's first login asks a code of (sealed with the key file's key)
                uri = mfa.otpauth_uri(mfa.ensure_pending(db, user), user.username)
            db.commit()
        except Problem as p:
            msgs = "; ".join(e.message for e in p.errors or []) or p.detail
            print(f"refused: {msgs}", file=sys.stderr)
            return 2
    print(f"created head-office admin {user.username}")
    if uri is not None:
        print("second factor (CRM_MFA_ROLES): add this to the admin's authenticator app; the first login asks "
              "for its code")
        print(uri)
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_database_safety(engine) -> None:  # type: ignore[no-untyped-def]
    """Refuse settings that lose acknowledged writes on a crash."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect() as conn:
        for name in ("fsync", "synchronous_commit", "full_page_writes"):
            if conn.execute(text(f"SHOW {name}")).scalar() == "off":
                raise SystemExit(f"refusing to start: PostgreSQL has {name}=off, which can lose data on a crash")


def cmd_serve(args: argparse.Namespace) -> int:
    settings = _settings(args, behind_tls_proxy=True if args.behind_tls_proxy else None,
                         backlog=args.backlog, tls_cert=args.tls_cert, tls_key=args.tls_key)
    try:
        load_key_file(settings.resolved_key_file)
    except KeyFileError as exc:
        print(f"refusing to start: {exc}", file=sys.stderr)
        return 2
    tls_refusal, mode = _tls_mode(settings, args.host, args.port)
    if tls_refusal:
        print(tls_refusal, file=sys.stderr)
        return 2
    engine = make_engine(settings.resolved_database_url, pool_size=settings.db_pool_size + BACKGROUND_CONNECTIONS)
    check_database_safety(engine)
    from server.migrate import schema_refusal
    refusal = schema_refusal(engine) or connections_refusal(engine, args.workers, settings)
    if refusal:
        print(f"refusing to start: {refusal}", file=sys.stderr)
        return 2
    if use_app_role(engine, settings.db_app_role):
        log.info("acting as PostgreSQL role %s", settings.db_app_role)
    for level, line in mode:  # once nothing refuses: a refusal stays one line
        log.log(level, "%s", line)
    _run(settings, engine, args.host, args.port, args.workers,
         str(settings.tls_cert) if settings.tls_cert else None, str(settings.tls_key) if settings.tls_key else None)
    return 0


def _tls_mode(settings: Settings, host: str, port: int) -> tuple[str | None, list[tuple[int, str]]]:
    """Why `serve` may not start as configured (one line), else None and the lines that
    log the mode at start: TLS (the certificate and key checked up front), plain HTTP on
    loopback, or plain HTTP behind a TLS-terminating proxy."""
    from server.tls import MINIMUM_VERSION, TLSConfigError, check_pair
    cert, key = settings.tls_cert, settings.tls_key
    if bool(cert) != bool(key):
        given, missing = ("--tls-cert", "--tls-key") if cert else ("--tls-key", "--tls-cert")
        return (f"refusing to start: {given} needs {missing} as well (or CRM_{given[2:].upper().replace('-', '_')} "
                f"needs CRM_{missing[2:].upper().replace('-', '_')})"), []
    if cert and key:
        try:
            served = check_pair(cert, key)
        except TLSConfigError as exc:
            return f"refusing to start: {exc}", []
        version = MINIMUM_VERSION.name.removeprefix("TLSv").replace("_", ".")
        lines = [(logging.INFO, f"serving HTTPS on {host}:{port} (TLS {version} or newer); "
                                f"certificate {served.describe()}")]
        if (dates := served.validity_problem()) is not None:
            lines.append((logging.WARNING, dates))
        return None, lines
    if settings.behind_tls_proxy:
        return None, [(logging.WARNING, f"serving plain HTTP on {host}:{port} behind a TLS-terminating proxy "
                                        "(CRM_BEHIND_TLS_PROXY): the proxy must be the only way in")]
    if not _is_loopback(host):
        return (f"refusing to serve plain HTTP on {host}: use --tls-cert/--tls-key, a loopback host, "
                "or --behind-tls-proxy when a TLS-terminating proxy stands in front"), []
    return None, [(logging.WARNING, f"serving plain HTTP on loopback {host}:{port}: not encrypted, for clients "
                                    "on this machine only")]


def connections_refusal(engine, workers: int, settings: Settings) -> str | None:  # type: ignore[no-untyped-def]
    """Why PostgreSQL could not give every worker its pool with room to spare, or None."""
    if engine.dialect.name != "postgresql":
        return None
    with engine.connect() as conn:
        limit = int(conn.execute(text("SHOW max_connections")).scalar() or 0)
        reserved = int(conn.execute(text("SHOW superuser_reserved_connections")).scalar() or 0)
    per_worker = settings.db_pool_size * (2 if settings.async_reads else 1) + BACKGROUND_CONNECTIONS
    need = workers * per_worker
    room = limit - reserved - settings.db_spare_connections
    if need > room:
        pools = f"2 x CRM_DB_POOL_SIZE {settings.db_pool_size} (CRM_ASYNC_READS)" if settings.async_reads \
            else f"CRM_DB_POOL_SIZE {settings.db_pool_size}"
        return (f"{workers} worker(s) x ({pools} + {BACKGROUND_CONNECTIONS} for the job worker and the audit "
                f"sealer) = "
                f"{need} connections, but PostgreSQL's max_connections {limit} leaves {room} after "
                f"{reserved} reserved and CRM_DB_SPARE_CONNECTIONS {settings.db_spare_connections}: "
                "lower --workers or CRM_DB_POOL_SIZE, or raise max_connections")
    return None


def _run(settings: Settings, engine, host: str, port: int, workers: int = 1,  # type: ignore[no-untyped-def]
         tls_cert: str | None = None, tls_key: str | None = None) -> None:
    import uvicorn

    from server.app import create_app
    # TLS 1.2 or newer (server/tls.py); with --workers N the supervisor adds the same factory
    ssl = {"ssl_certfile": tls_cert, "ssl_keyfile": tls_key} if tls_cert else {}
    # keep-alive above the staff's think time (TRAPS.md), so idle clients do not reconnect;
    # a backlog for a morning's simultaneous connects; requests in flight get a grace period
    # on SIGTERM, then are cancelled (their transactions roll back as their sessions close).
    # Logging is ours (server.logs: redacting; an access log only with CRM_ACCESS_LOG).
    common: dict[str, Any] = {"host": host, "port": port, "timeout_keep_alive": 75, "log_config": None,
                              "access_log": False, "backlog": settings.backlog, "http": "httptools",
                              "loop": "uvloop" if _has("uvloop") else "asyncio",
                              "timeout_graceful_shutdown": settings.shutdown_grace_seconds,
                              # a worker importing the app on a busy machine is not hung: uvicorn's
                              # default 5 s killed and restarted workers in a loop under load
                              "timeout_worker_healthcheck": 30, **ssl}
    if workers > 1:
        # each worker process builds its own app from the same settings, passed as CRM_* variables
        for name, value in settings.model_dump(exclude_none=True).items():
            os.environ[f"CRM_{name.upper()}"] = str(value)
        os.environ["CRM_DATABASE_URL"] = settings.resolved_database_url
        engine.dispose()  # the parent serves nothing: its connections would sit idle
        # the parent becomes a supervisor that has imported nothing of the application
        # (server/supervise.py): ~100 MiB less resident beside the workers
        from server.supervise import OPTIONS
        os.environ[OPTIONS] = json.dumps({**common, "workers": workers})
        sys.stdout.flush()
        sys.stderr.flush()
        os.execv(sys.executable, [sys.executable, "-m", "server.supervise"])
    else:
        from server.tls import uvicorn_context
        uvicorn.run(create_app(settings, make_sessionmaker(engine)), **common,
                    ssl_context_factory=uvicorn_context if tls_cert else None)


def _has(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


def _server_engine(settings: Settings):  # type: ignore[no-untyped-def]
    """An engine as `serve` makes it: safe database settings, acting as the app's role."""
    engine = make_engine(settings.resolved_database_url)
    check_database_safety(engine)
    use_app_role(engine, settings.db_app_role)
    return engine


def _stop_on_signals() -> threading.Event:
    """SIGTERM and SIGINT ask the worker to stop after its current batch."""
    stop = threading.Event()

    def _handle(signum, _frame):  # type: ignore[no-untyped-def]
        log.info("%s: stopping after the current batch", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, _handle)
    signal.signal(signal.SIGINT, _handle)
    return stop


def cmd_worker(args: argparse.Namespace) -> int:
    from server.services import jobs
    settings = _settings(args)
    engine = _server_engine(settings)
    from server.migrate import schema_refusal
    refusal = schema_refusal(engine)
    if refusal:
        print(f"refusing to start: {refusal}", file=sys.stderr)
        return 2
    stop = _stop_on_signals()
    jobs.run_worker(make_sessionmaker(engine, settings.resolved_key_file), stop, settings.job_poll_seconds,
                    options=jobs.WorkerOptions.from_settings(settings))
    engine.dispose()
    return 0


def _audit_factory(args: argparse.Namespace, doing: str):  # type: ignore[no-untyped-def]
    """Sessions with the key file's cipher, or None with one line on stderr (no key file)."""
    settings = _settings(args)
    try:
        load_key_file(settings.resolved_key_file)  # a clear error, not a traceback
    except KeyFileError as exc:
        print(f"cannot {doing}: {exc}", file=sys.stderr)
        return None
    engine = make_engine(settings.resolved_database_url)
    use_app_role(engine, settings.db_app_role)
    return make_sessionmaker(engine, settings.resolved_key_file)


def cmd_audit_verify(args: argparse.Namespace) -> int:
    """Exit 0 when the chain and every entry are intact; 1 with the first break printed."""
    from server.services import auditchain
    factory = _audit_factory(args, "verify")
    if factory is None:
        return 2
    with factory() as db:
        report = auditchain.verify(db, expect_head=args.expect_head)
    if not report.intact:
        print(f"BROKEN: {report.breaks[0]}")
        for more in report.breaks[1:]:
            print(f"  also: {more}")
        return 1
    print(f"intact: {report.sealed} entries sealed, {report.pending} not yet sealed; head {report.head or '-'}")
    return 0


def cmd_audit_head(args: argparse.Namespace) -> int:
    """Seal what is final, then print `<seq>:<link>` (one line) to keep elsewhere."""
    from server.services import auditchain
    factory = _audit_factory(args, "read the chain")
    if factory is None:
        return 2
    auditchain.seal_all(factory)
    with factory() as db:
        head = auditchain.head_token(db)
    if head is None:
        print("the audit trail is empty", file=sys.stderr)
    print(head or auditchain.EMPTY_HEAD)
    return 0


def _progress(job) -> None:  # type: ignore[no-untyped-def]
    total = "?" if job.total is None else job.total
    print(f"job {job.id}: {job.status} {job.done}/{total}", flush=True)


def cmd_rebuild_search_keys(args: argparse.Namespace) -> int:
    """Queue the rebuild; with --wait run it here (or follow the worker that took it)."""
    from server.models import Job
    from server.services import jobs
    from server.services.customers import REBUILD_SEARCH_KEYS
    settings = _settings(args)
    engine = _server_engine(settings)
    factory = make_sessionmaker(engine, settings.resolved_key_file)
    with factory() as db:
        job = jobs.enqueue(db, REBUILD_SEARCH_KEYS, {"batch_size": args.batch_size})
        db.commit()
    print(f"job {job.id} queued ({job.kind})", flush=True)
    if not args.wait:
        return 0
    stop = _stop_on_signals()
    ran = jobs.run_one(factory, jobs.new_worker_id(), options=jobs.WorkerOptions.from_settings(settings),
                       stop_event=stop, job_id=job.id, on_progress=_progress)
    while not stop.is_set():  # another worker has it (or it is back in the queue): follow it
        with factory() as db:
            ran = db.get(Job, job.id)
        if ran is None or ran.status in ("succeeded", "failed"):
            break
        _progress(ran)
        stop.wait(max(settings.job_poll_seconds, 1.0))
    if ran is not None and ran.status == "succeeded":
        print(f"job {job.id} succeeded: {ran.done} customers", flush=True)
        return 0
    if ran is not None and ran.status == "failed":
        print(f"job {job.id} failed: {ran.error_code}: {ran.error}", file=sys.stderr)
        return 1
    print(f"job {job.id} stopped before it finished; a worker will resume it", file=sys.stderr)
    return 1


class _ImportProgress:
    """Rows read and the stage, on stderr: a bar redrawn in place on a terminal, a line
    per stage otherwise (logs, CI)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.tty = stream.isatty()
        self.t0 = time.monotonic()
        self.last = 0.0
        self.drawn = False
        self.told = -1

    def _elapsed(self) -> str:
        return f"{time.monotonic() - self.t0:6.1f} s"

    def stage(self, name: str) -> None:
        if self.drawn:
            self.stream.write("\n")
            self.drawn = False
        self.stream.write(f"{self._elapsed()}  {name}\n")
        self.stream.flush()

    def rows(self, rows: int, done_bytes: int, total_bytes: int) -> None:
        now = time.monotonic()
        finished = done_bytes >= total_bytes
        if not self.tty:
            if finished and rows != self.told:
                self.told = rows
                self.stream.write(f"{self._elapsed()}  read {rows:,} rows\n")
                self.stream.flush()
            return
        if now - self.last < 0.2 and not finished:
            return
        self.last = now
        share = done_bytes / total_bytes if total_bytes else 1.0
        bar = "#" * int(share * 30)
        self.stream.write(f"\r{self._elapsed()}  reading [{bar:<30}] {share:4.0%} {rows:,} rows")
        self.stream.flush()
        self.drawn = True


def cmd_import(args: argparse.Namespace) -> int:
    """Import a core-banking file as one batch; the answer is one JSON line on stdout."""
    from sqlalchemy.exc import DBAPIError

    from server.imports import run_import
    from server.imports.engine import ALREADY_IMPORTED, APPLIED
    settings = _settings(args)
    path = Path(args.file)
    if not path.is_file():
        print(f"no such file: {path}", file=sys.stderr)
        return 2
    try:
        load_key_file(settings.resolved_key_file)
    except KeyFileError as exc:
        print(f"refusing to import: {exc}", file=sys.stderr)
        return 2
    # the operator's own role (like init): it owns the tables, so a big first load may
    # rebuild their indexes instead of maintaining them row by row
    engine = make_engine(settings.resolved_database_url)
    try:
        outcome = run_import(make_sessionmaker(engine, settings.resolved_key_file), args.kind, path,
                             args.business_date, args.sequence, progress=_ImportProgress(sys.stderr))
    except DBAPIError as exc:
        log.error("import: database error (%s)", type(exc.orig).__name__ if exc.orig else type(exc).__name__)
        print("import failed: database error (is the database initialised? `crm-server init`)", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    print(json.dumps(outcome.contract(), ensure_ascii=False), flush=True)
    for note in outcome.notes:
        print(f"note: {note}", file=sys.stderr)
    if outcome.status == ALREADY_IMPORTED:
        summary = f"already imported as batch {outcome.id}: nothing changed"
    else:
        summary = (f"{outcome.status}: {outcome.read:,} rows read, {outcome.created:,} created, "
                   f"{outcome.updated:,} updated, {outcome.duplicate:,} unchanged, {outcome.rejected:,} rejected")
    if outcome.error_code:
        summary += f" ({outcome.error_code})"
    print(summary, file=sys.stderr)
    return 0 if outcome.status in (APPLIED, ALREADY_IMPORTED) else 1


def cmd_backup(args: argparse.Namespace) -> int:
    """The whole database in one snapshot, to FILE (server/backup.py); holds no keys."""
    from server.backup import run_backup
    settings = _settings(args)
    return run_backup(settings.resolved_database_url, Path(args.file), settings.resolved_key_file,
                      out=lambda line: print(line, flush=True), err=lambda line: print(line, file=sys.stderr))


def cmd_restore(args: argparse.Namespace) -> int:
    """FILE into an empty database (SQLite: a new file), with the key file that wrote it."""
    from server.backup import run_restore
    settings = _settings(args)
    return run_restore(settings.resolved_database_url, Path(args.file), settings.resolved_key_file,
                       settings.db_app_role, out=lambda line: print(line, flush=True),
                       err=lambda line: print(line, file=sys.stderr))


def _iso_date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError("a date YYYY-MM-DD") from None


def cmd_demo(args: argparse.Namespace) -> int:
    from server.demo import DEMO_PASSWORD, demo_settings, seed_demo
    from server.migrate import upgrade
    tmp = Path(tempfile.mkdtemp(prefix="crm-demo-"))
    url = f"sqlite:///{tmp / 'demo.sqlite3'}"
    settings = get_settings(database_url=url, profile="development", key_file=str(tmp / "keys.json"), mfa_roles="",
                            **demo_settings())
    engine = make_engine(url)
    upgrade(engine)
    create_key_file(settings.resolved_key_file)
    with make_sessionmaker(engine, settings.resolved_key_file)() as db:
        logins = seed_demo(db, customers=args.customers)
    base = f"http://127.0.0.1:{args.port}"
    print("Branch CRM demo: a throwaway database in", tmp)
    print(f"Server: {base}   (OpenAPI: {base}/api/v1/openapi.json)")
    print(f"Demo logins (password for all: {DEMO_PASSWORD}):")
    for username, role, org in logins:
        print(f"  {username:<12} {role:<18} {org}")
    print(f"Connect a client:  crm-client --server {base}")
    if args.client:
        _start_client(base)
    sys.stdout.flush()
    # uvicorn stops on SIGTERM, then raises it again under the handler it found: the
    # default one would end the process before the throwaway database is removed
    signal.signal(signal.SIGTERM, _exit_cleanly)
    try:
        _run(settings, engine, "127.0.0.1", args.port)
    finally:
        engine.dispose()
        shutil.rmtree(tmp, ignore_errors=True)  # the demo database is throwaway
    return 0


def _exit_cleanly(signum: int, _frame: object) -> None:
    raise SystemExit(0)


def _start_client(base: str) -> None:
    """Open the desktop client next to the demo server where there is a screen."""
    import subprocess
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY") or sys.platform in ("win32", "darwin")):
        print("No display found: the server runs alone; start `crm-client --server "
              f"{base}` on a machine with a screen.")
        return
    exe = shutil.which("crm-client") or str(Path(sys.executable).with_name("crm-client"))
    subprocess.Popen([exe, "--server", base, "--wait-for-server"])


def _positive_int(value: str) -> int:
    n = int(value)
    if n < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return n


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="crm-server", description="Branch CRM application server")
    sub = p.add_subparsers(dest="command", required=True)

    def db_opt(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--database-url", help="sqlite:///PATH or postgresql://user@host:port/db "
                                               "(default: CRM_DATABASE_URL, else SQLite in the user data dir)")

    sp = sub.add_parser("init", help="migrate to head, create the head office and the key file")
    db_opt(sp)
    sp.set_defaults(fn=cmd_init)
    sp = sub.add_parser("create-admin", help="create a head-office admin (password: CRM_ADMIN_PASSWORD or stdin)")
    sp.add_argument("username")
    db_opt(sp)
    sp.set_defaults(fn=cmd_create_admin)
    sp = sub.add_parser("serve", help="run the API server")
    db_opt(sp)
    sp.add_argument("--host", default="127.0.0.1")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--workers", type=_positive_int, default=1,
                    help="server processes (each with CRM_DB_POOL_SIZE connections; default 1)")
    sp.add_argument("--backlog", type=_positive_int,
                    help="listen backlog (default CRM_BACKLOG, 8192; the kernel caps it at somaxconn)")
    sp.add_argument("--tls-cert", help="serve HTTPS (TLS 1.2+) with this certificate, PEM with its chain "
                                       "(default: CRM_TLS_CERT)")
    sp.add_argument("--tls-key", help="the certificate's unencrypted private key, PEM (default: CRM_TLS_KEY)")
    sp.add_argument("--behind-tls-proxy", action="store_true")
    sp.set_defaults(fn=cmd_serve)
    sp = sub.add_parser("worker", help="run background jobs until SIGTERM/SIGINT (serve runs one as well)")
    db_opt(sp)
    sp.set_defaults(fn=cmd_worker)
    sp = sub.add_parser("rebuild-search-keys",
                        help="queue a rebuild of every customer's search keys (after a pinyin upgrade or a bulk load)")
    db_opt(sp)
    sp.add_argument("--wait", action="store_true", help="also run it here and print progress until it ends")
    sp.add_argument("--batch-size", type=_positive_int, default=500, help="customers per committed batch (default 500)")
    sp.set_defaults(fn=cmd_rebuild_search_keys)
    sp = sub.add_parser("import", help="import a file from the core banking system as one batch")
    sp.add_argument("kind", choices=["customers"], help="what the file holds")
    sp.add_argument("file", help="CSV in UTF-8: header row, data rows, trailer TRAILER,<rows>,<sum>")
    sp.add_argument("--business-date", required=True, type=_iso_date, help="the file's business date, YYYY-MM-DD")
    sp.add_argument("--sequence", type=_positive_int, default=1,
                    help="the file's number within its kind and business date (default 1)")
    db_opt(sp)
    sp.set_defaults(fn=cmd_import)
    sp = sub.add_parser("audit", help="the audit trail's chain: verify it, or print its head for safekeeping")
    audit_sub = sp.add_subparsers(dest="audit_command", required=True)
    ap = audit_sub.add_parser("verify", help="check every entry and link; exit 1 with the first break printed")
    ap.add_argument("--expect-head", metavar="SEQ:LINK", help="a head printed earlier by `audit head` (kept "
                                                               "elsewhere): also shows the newest entries cut off")
    db_opt(ap)
    ap.set_defaults(fn=cmd_audit_verify)
    ap = audit_sub.add_parser("head", help="seal what is final and print the chain's head")
    db_opt(ap)
    ap.set_defaults(fn=cmd_audit_head)
    sp = sub.add_parser("backup", help="write the whole database, in one snapshot, to FILE (holds no keys)")
    sp.add_argument("file", help="the backup to write (gzip-compressed JSON lines; replaced atomically, mode 0600)")
    db_opt(sp)
    sp.set_defaults(fn=cmd_backup)
    sp = sub.add_parser("restore", help="restore FILE into an empty database, with the key file that wrote it")
    sp.add_argument("file", help="a backup written by `crm-server backup`")
    db_opt(sp)
    sp.set_defaults(fn=cmd_restore)
    sp = sub.add_parser("demo", help="a throwaway embedded database with demo data, served on loopback")
    sp.add_argument("--port", type=int, default=8765)
    sp.add_argument("--customers", type=int, default=360, help="how many demo customers (default 360)")
    sp.add_argument("--client", action="store_true", help="also open the desktop client where there is a screen")
    sp.set_defaults(fn=cmd_demo)
    return p


def main(argv: list[str] | None = None) -> int:
    logs.configure()
    args = build_parser().parse_args(argv)
    return int(args.fn(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
