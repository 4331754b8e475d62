"""Durable background jobs: a table-based queue in our own database (no broker).

Why our own: procrastinate and pgqueuer are PostgreSQL-only, huey keeps its queue in its
own SQLite file or psycopg connection (outside our unit of work and Alembic), dramatiq,
rq, saq and celery want Redis or RabbitMQ, APScheduler 4 is a pre-release; none commits a
batch's work together with the job's progress (the commit "Job table ..." has the detail).

How a job runs
--------------
* `enqueue(db, kind, params)` adds a `queued` row in the caller's transaction (no commit:
  the job exists only if the caller's unit of work commits).
* A worker `claim`s the oldest claimable job: `queued`, or `running` with a heartbeat
  older than the timeout (its worker died). PostgreSQL: `SELECT ... FOR UPDATE SKIP
  LOCKED`, so concurrent workers never take the same row; SQLite: every transaction
  begins IMMEDIATE (server/db.py), so claims are serialised by the write lock. A claim
  increments `attempts` and records the worker: together they fence the owner.
* The handler registered for the kind (`@handler("search_keys.rebuild")`) is called once
  per batch with a `Step` (params, checkpoint, done, total) inside a transaction and
  returns a `Batch` (how many it processed, the next checkpoint, finished?). Its work,
  the new `done` and `checkpoint` are committed in ONE transaction, by an UPDATE that
  only matches while this worker still owns the job. So a crash loses at most the current
  batch, and the next owner resumes from the last committed checkpoint without
  repeating a committed batch; a stale worker that lost its claim cannot commit.
* While running, a heartbeat thread refreshes `heartbeat_at`; each batch commit does too.
* A handler exception rolls the batch back and marks the job `failed` with a stable
  code and short message (`JobError` for errors a handler means to report); the details
  go to the server log without SQL parameters (they may hold personal data). A lost
  database connection is not the job's fault: the job is left to be reclaimed.
* Handlers never commit: the runner commits their work with the progress.
* A worker asked to stop finishes its batch and puts the job back to `queued` (the
  attempt does not count), so the next worker carries on at once.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.exc import DBAPIError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from server.context import Actor
from server.db import affected
from server.errors import conflict, not_found
from server.models import Job, JobOutput
from server.models.base import utcnow
from server.settings import Settings
from shared.enums import JobStatus
from shared.permissions import Resource
from shared.schemas import JobErrorRead, JobOutputRead, JobRead

log = logging.getLogger("crm.jobs")

#: Modules that register handlers; imported before a worker looks a kind up.
HANDLER_MODULES = ("server.services.customers", "server.services.statements")
#: Ids are 32-bit on PostgreSQL: a larger one would reach the driver as an error (TRAPS.md).
MAX_ID = 2**31 - 1

# Stable error codes a job can end with (the client translates codes).
INTERNAL_ERROR = "job.internal_error"
UNKNOWN_KIND = "job.unknown_kind"
ABANDONED = "job.abandoned"


@dataclass(frozen=True)
class Step:
    """What a handler gets for one batch."""

    job_id: int
    params: dict[str, Any]
    #: Where this batch starts (what the previous batch returned); None for the first.
    checkpoint: Any
    done: int
    total: int | None
    attempt: int


@dataclass(frozen=True)
class Batch:
    """What one batch did; committed together with the batch's own work."""

    processed: int
    checkpoint: Any
    finished: bool = False
    #: The number of items, once known (it may be refined by later batches).
    total: int | None = None


Handler = Callable[[Session, Step], Batch]
_HANDLERS: dict[str, Handler] = {}


class JobError(Exception):
    """A failure a handler reports on purpose: its code and message are shown to the
    job's reader as they are, so they must hold no personal data."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code)
        self.code, self.message = code, message


class LostClaim(Exception):
    """This worker no longer owns the job (reclaimed after a stale heartbeat)."""


def handler(kind: str) -> Callable[[Handler], Handler]:
    def register(fn: Handler) -> Handler:
        _HANDLERS[kind] = fn
        return fn
    return register


def _load_handlers() -> None:
    import importlib
    for name in HANDLER_MODULES:
        importlib.import_module(name)


def handler_for(kind: str) -> Handler | None:
    _load_handlers()
    return _HANDLERS.get(kind)


# ----------------------------------------------------------------------------- enqueue and read
def enqueue(db: Session, kind: str, params: dict[str, Any] | None = None, created_by: int | None = None,
            org_id: int | None = None) -> Job:
    """A queued job, part of the caller's unit of work (flushed for its id, not committed)."""
    if handler_for(kind) is None:
        raise ValueError(f"no job handler registered for {kind!r}")
    job = Job(kind=kind, params=json.dumps(params or {}, ensure_ascii=False, sort_keys=True),
              status=JobStatus.QUEUED, done=0, attempts=0, created_by=created_by, org_id=org_id,
              created_at=utcnow())
    db.add(job)
    db.flush()
    return job


def to_read(job: Job) -> JobRead:
    error = JobErrorRead(code=job.error_code, message=job.error or "") if job.error_code else None
    return JobRead(id=job.id, kind=job.kind, status=JobStatus(job.status), done=job.done, total=job.total,
                   error=error, created_at=job.created_at, started_at=job.started_at,
                   finished_at=job.finished_at)


def read(db: Session, actor: Actor, job_id: int) -> JobRead:
    """A job the actor may see: their own (scope SELF) or any (BANK); 404 otherwise, the
    same as for an id that does not exist."""
    from server import access
    return to_read(access.load(db, actor, Resource.JOB, job_id))


# ----------------------------------------------------------------------------- outputs and cancelling
def outputs(db: Session, actor: Actor, job_id: int, page: int, page_size: int) -> tuple[list[JobOutputRead], int]:
    from server import access
    job: Job = access.load(db, actor, Resource.JOB, job_id)  # job.output_read: the starter's own only
    total = db.scalar(select(func.count()).where(JobOutput.job_id == job.id)) or 0
    rows = db.execute(select(JobOutput.id, JobOutput.name, func.length(JobOutput.content), JobOutput.created_at)
                      .where(JobOutput.job_id == job.id).order_by(JobOutput.id)
                      .offset((page - 1) * page_size).limit(page_size)).all()
    return [JobOutputRead(id=r[0], name=r[1], size=r[2], created_at=r[3]) for r in rows], total


def output(db: Session, actor: Actor, job_id: int, output_id: int) -> tuple[str, bytes]:
    from server import access
    job: Job = access.load(db, actor, Resource.JOB, job_id)  # job.output_read: the starter's own only
    row = db.scalar(select(JobOutput).where(and_(JobOutput.id == output_id, JobOutput.job_id == job.id))) \
        if 1 <= output_id <= MAX_ID else None
    if row is None:
        raise not_found()
    return row.name, row.content


def cancel(db: Session, actor: Actor, job_id: int) -> JobRead:
    """Stop a queued or running job: the batch running now cannot commit (its fence needs
    `running`), nothing after it starts. A job that has ended is 409 `job.finished`."""
    from server import access
    from server.services import audit
    job: Job = access.load(db, actor, Resource.JOB, job_id, for_update=True)
    if job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        raise conflict(JOB_FINISHED, "The job has already ended", current=to_read(job).model_dump(mode="json"))
    job.status, job.worker, job.finished_at = JobStatus.CANCELLED, None, utcnow()
    audit.record(db, "job.cancel", who=actor, object_type="job", object_id=job.id, kind=job.kind, done=job.done)
    db.flush()
    return to_read(job)


#: Cancelling a job that has already ended.
JOB_FINISHED = "job.finished"


# ----------------------------------------------------------------------------- claiming
def new_worker_id() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def claim(db: Session, worker_id: str, *, timeout_seconds: float = 60.0, max_attempts: int = 5,
          job_id: int | None = None) -> Job | None:
    """Take the oldest claimable job (or `job_id` if claimable) for `worker_id`, and
    commit: the claim must be visible to other workers before the work starts. A crashed
    job that has used up `max_attempts` is failed (`job.abandoned`) instead."""
    while True:
        now = utcnow()
        stale = now - timedelta(seconds=timeout_seconds)
        q = select(Job).where(or_(Job.status == JobStatus.QUEUED,
                                  and_(Job.status == JobStatus.RUNNING,
                                       or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < stale))))
        if job_id is not None:
            q = q.where(Job.id == job_id)
        # SKIP LOCKED: a row another worker is claiming is passed over, not waited for.
        # SQLite renders no FOR UPDATE; its IMMEDIATE transaction already holds the write lock.
        job = db.scalars(q.order_by(Job.id).limit(1).with_for_update(skip_locked=True)).first()
        if job is None:
            db.commit()  # end the transaction (on SQLite: release the write lock)
            return None
        # read-modify-write is safe here: the row is locked (PostgreSQL) or the database is (SQLite)
        if job.status == JobStatus.RUNNING and job.attempts >= max_attempts:
            log.warning("job %s (%s) abandoned after %s attempts whose worker stopped responding",
                        job.id, job.kind, job.attempts)
            _set_failed(job, ABANDONED, f"The job stopped responding {job.attempts} times and was given up",
                        now)
            db.commit()
            continue
        if job.status == JobStatus.RUNNING:
            log.warning("job %s (%s): worker %s stopped responding; %s resumes it", job.id, job.kind,
                        job.worker, worker_id)
        job.status = JobStatus.RUNNING
        job.worker = worker_id
        job.attempts += 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        db.commit()
        return job


def _set_failed(job: Job, code: str, message: str, now) -> None:  # type: ignore[no-untyped-def]
    job.status = JobStatus.FAILED
    job.error_code, job.error = code, message[:300]
    job.finished_at = now
    job.worker = None


def _owned(job_id: int, worker_id: str, attempt: int):  # type: ignore[no-untyped-def]
    """The fence: only the owner's UPDATEs match."""
    return update(Job).where(Job.id == job_id, Job.worker == worker_id, Job.attempts == attempt,
                             Job.status == JobStatus.RUNNING)


# ----------------------------------------------------------------------------- running
@dataclass(frozen=True)
class WorkerOptions:
    timeout_seconds: float = 60.0
    heartbeat_seconds: float = 10.0
    max_attempts: int = 5
    batch_pause_seconds: float = 0.0

    @classmethod
    def from_settings(cls, s: Settings) -> WorkerOptions:
        return cls(s.job_timeout_seconds, s.job_heartbeat_seconds, s.job_max_attempts, s.job_batch_pause_seconds)


class _Heartbeat(threading.Thread):
    """Refreshes the running job's heartbeat on its own session, so that a batch longer
    than the timeout does not look like a dead worker."""

    def __init__(self, factory: sessionmaker[Session], job_id: int, worker_id: str, attempt: int,
                 interval: float) -> None:
        super().__init__(name=f"job-{job_id}-heartbeat", daemon=True)
        self.factory, self.job_id, self.worker_id, self.attempt, self.interval = (
            factory, job_id, worker_id, attempt, interval)
        self._stop_beating = threading.Event()

    def run(self) -> None:
        while not self._stop_beating.wait(self.interval):
            try:
                with self.factory() as db:
                    db.execute(_owned(self.job_id, self.worker_id, self.attempt).values(heartbeat_at=utcnow()))
                    db.commit()
            except Exception as exc:
                log.warning("job %s: heartbeat not written (%s)", self.job_id, type(exc).__name__)

    def stop(self) -> None:
        self._stop_beating.set()
        self.join(max(self.interval, 1) + 5)


Progress = Callable[[Job], None]


def run_one(factory: sessionmaker[Session], worker_id: str, *, options: WorkerOptions | None = None,
            stop_event: threading.Event | None = None, job_id: int | None = None,
            on_progress: Progress | None = None) -> Job | None:
    """Claim one job (or `job_id`) and run it batch by batch until it succeeds, fails,
    this worker loses it, or `stop_event` asks to stop (then it is put back in the queue).
    Returns the job as last seen, or None when there was nothing to claim."""
    opts = options or WorkerOptions()
    with factory() as db:
        job = claim(db, worker_id, timeout_seconds=opts.timeout_seconds, max_attempts=opts.max_attempts,
                    job_id=job_id)
    if job is None:
        return None
    log.info("job %s (%s) claimed by %s (attempt %s)", job.id, job.kind, worker_id, job.attempts)
    beat = (_Heartbeat(factory, job.id, worker_id, job.attempts, opts.heartbeat_seconds)
            if opts.heartbeat_seconds > 0 else None)
    if beat:
        beat.start()
    try:
        return _run_batches(factory, job.id, job.kind, worker_id, job.attempts, opts, stop_event, on_progress)
    finally:
        if beat:
            beat.stop()


def _run_batches(factory: sessionmaker[Session], job_id: int, kind: str, worker_id: str, attempt: int,
                 opts: WorkerOptions, stop_event: threading.Event | None,
                 on_progress: Progress | None) -> Job | None:
    fn = handler_for(kind)
    if fn is None:
        log.error("job %s: no handler registered for kind %r", job_id, kind)
        return _fail(factory, job_id, worker_id, attempt, UNKNOWN_KIND, "No worker knows this kind of job")
    while True:
        with factory() as db:
            try:
                job = db.get(Job, job_id)
                if job is None or job.worker != worker_id or job.attempts != attempt \
                        or job.status != JobStatus.RUNNING:
                    raise LostClaim
                step = Step(job.id, json.loads(job.params or "{}"),
                            json.loads(job.checkpoint) if job.checkpoint else None, job.done, job.total, attempt)
                batch = fn(db, step)
                now = utcnow()
                done = job.done + batch.processed
                total = batch.total if batch.total is not None else job.total
                values: dict[str, Any] = {"done": done, "total": total, "heartbeat_at": now,
                                          "checkpoint": json.dumps(batch.checkpoint, ensure_ascii=False)}
                if batch.finished:  # the count is exact once everything is done
                    values.update(status=JobStatus.SUCCEEDED, total=done, finished_at=now, worker=None)
                if affected(db.execute(_owned(job_id, worker_id, attempt).values(**values))) != 1:
                    raise LostClaim
                db.commit()
            except LostClaim:
                db.rollback()
                log.warning("job %s: %s lost its claim (another worker took it over); batch not committed",
                            job_id, worker_id)
                return None
            except JobError as exc:
                db.rollback()
                log.warning("job %s (%s) failed: %s %s", job_id, kind, exc.code, exc.message)
                return _fail(factory, job_id, worker_id, attempt, exc.code, exc.message)
            except Exception as exc:  # any handler failure fails the job, not the worker
                if isinstance(exc, DBAPIError) and exc.connection_invalidated:
                    # the database went away, not the job's fault: leave it `running` for
                    # a worker to reclaim once the heartbeat is stale
                    raise
                db.rollback()
                _log_failure(job_id, kind, exc)
                return _fail(factory, job_id, worker_id, attempt, INTERNAL_ERROR,
                             "The job stopped on an unexpected error; the server log has the details")
            db.refresh(job)
        if on_progress:
            on_progress(job)
        if batch.finished:
            log.info("job %s (%s) succeeded: %s done", job_id, kind, job.done)
            return job
        if stop_event is not None and stop_event.is_set():
            return _release(factory, job_id, worker_id, attempt)
        if opts.batch_pause_seconds:
            if stop_event is not None:
                stop_event.wait(opts.batch_pause_seconds)
            else:
                time.sleep(opts.batch_pause_seconds)


def _fail(factory: sessionmaker[Session], job_id: int, worker_id: str, attempt: int, code: str,
          message: str) -> Job | None:
    with factory() as db:
        matched = affected(db.execute(_owned(job_id, worker_id, attempt).values(
            status=JobStatus.FAILED, error_code=code, error=message[:300], finished_at=utcnow(),
            heartbeat_at=utcnow(), worker=None)))
        db.commit()
        if matched != 1:
            log.warning("job %s: %s lost its claim before it could record the failure", job_id, worker_id)
            return None
        return db.get(Job, job_id)


def _release(factory: sessionmaker[Session], job_id: int, worker_id: str, attempt: int) -> Job | None:
    """Back to the queue after a clean stop between batches; the attempt does not count."""
    with factory() as db:
        matched = affected(db.execute(_owned(job_id, worker_id, attempt).values(
            status=JobStatus.QUEUED, worker=None, attempts=Job.attempts - 1, heartbeat_at=None)))
        db.commit()
        if matched == 1:
            log.info("job %s: %s stopped between batches; the job is queued again", job_id, worker_id)
        return db.get(Job, job_id)


def _log_failure(job_id: int, kind: str, exc: BaseException) -> None:
    """The traceback for the server log, without SQL parameters or driver messages (they
    may quote customer data): for a database error, its type and the SQL text only."""
    parts: list[str] = []
    seen: set[int] = set()
    e: BaseException | None = exc
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        tb = "".join(traceback.format_tb(e.__traceback__))
        if isinstance(e, StatementError):
            orig = type(e.orig).__name__ if e.orig is not None else "-"
            parts.append(f"{tb}{type(e).__name__} ({orig}) in SQL: {e.statement}")
            break  # the driver's own exception (its cause) carries the values
        parts.append(f"{tb}{type(e).__name__}: {e}")
        e = e.__cause__ or (None if e.__suppress_context__ else e.__context__)
    log.error("job %s (%s) failed:\n%s", job_id, kind, "\n-- caused by / during --\n".join(reversed(parts)))


def run_worker(factory: sessionmaker[Session], stop_event: threading.Event, poll_seconds: float = 2.0, *,
               options: WorkerOptions | None = None, worker_id: str | None = None) -> None:
    """Run jobs one after another until `stop_event` is set; poll when the queue is empty.
    A database that is briefly unreachable is waited for, not fatal."""
    worker_id = worker_id or new_worker_id()
    log.info("job worker %s started", worker_id)
    while not stop_event.is_set():
        try:
            job = run_one(factory, worker_id, options=options, stop_event=stop_event)
        except Exception as exc:
            log.warning("job worker %s: %s; trying again in %s s", worker_id, type(exc).__name__, poll_seconds)
            job = None
        if job is None:
            stop_event.wait(poll_seconds)
    log.info("job worker %s stopped", worker_id)


class BackgroundWorker:
    """One worker loop in a thread of this process (what `serve` runs)."""

    def __init__(self, factory: sessionmaker[Session], settings: Settings) -> None:
        self.stop_event = threading.Event()
        self.thread = threading.Thread(
            target=run_worker, name="job-worker", daemon=True,
            args=(factory, self.stop_event, settings.job_poll_seconds),
            kwargs={"options": WorkerOptions.from_settings(settings)})

    def start(self) -> BackgroundWorker:
        self.thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Ask it to stop after the current batch and wait for it."""
        self.stop_event.set()
        self.thread.join(timeout)
        if self.thread.is_alive():
            log.warning("job worker did not stop within %s s", timeout)
