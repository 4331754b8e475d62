from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class Job(Base):
    """Long work (re-rating, statements, imports, search-key rebuilds) done in batches by
    a worker (server/services/jobs.py). Each batch's work, `done` and `checkpoint` are
    committed together, so a crash loses at most one batch and a reclaiming worker
    resumes from `checkpoint`. `worker` + `attempts` fence the owner: a worker that lost
    its claim (heartbeat older than the timeout, reclaimed) can no longer commit a batch."""

    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    #: JSON object: what to do (handler-specific).
    params: Mapped[str] = mapped_column(Text, default="{}")
    status: Mapped[str] = mapped_column(String(20), default="queued")
    done: Mapped[int] = mapped_column(BigInteger, default=0)
    #: None until the handler knows it; exact (= done) once the job succeeded.
    total: Mapped[int | None] = mapped_column(BigInteger)
    #: A stable code (`job.internal_error`) and a short message; never a traceback, SQL
    #: or personal data (the details are in the server log).
    error_code: Mapped[str | None] = mapped_column(String(60))
    error: Mapped[str | None] = mapped_column(String(300))
    #: JSON: where the next batch starts (handler-specific), committed with each batch.
    checkpoint: Mapped[str | None] = mapped_column(Text)
    #: Claims that did not end in a clean release; also the fencing token of the owner.
    attempts: Mapped[int] = mapped_column(default=0)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))  # None: system / CLI
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Which worker owns it while running (host:pid:random).
    worker: Mapped[str | None] = mapped_column(String(100))

    # The claim: `status = 'queued'` in id order (an index range), or `status = 'running'`
    # with a stale heartbeat (the few running rows, filtered).
    __table_args__ = (Index("ix_job_status_id", "status", "id"),)


class JobOutput(Base):
    """A file a job made for the user who started it (a batch's statements): kept with
    the job, downloaded as one archive (`GET /api/v1/jobs/{id}/output`), written in the
    same transaction as the batch that made it."""

    __tablename__ = "job_output"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), index=True)
    #: the file's name inside the archive
    name: Mapped[str] = mapped_column(String(120))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
