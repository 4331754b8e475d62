from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime


class ImportBatch(Base):
    """One file from the core banking system (R-701 … R-703), named by (kind, business
    date, sequence). The row holds the outcome of the latest attempt: `applied`,
    `refused` (the file itself is wrong: header, trailer, encoding; nothing applied) or
    `failed` (too many rejected rows, or an error while applying; nothing applied). An
    applied batch is never applied again: a repeat answers `already_imported` from this
    row (an answer, not a stored status); a refused or failed one may be imported again
    and then overwrites this row (every attempt stays in the audit trail)."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    business_date: Mapped[date] = mapped_column(Date)
    sequence: Mapped[int] = mapped_column()
    status: Mapped[str] = mapped_column(String(20))
    #: Why it was refused or failed (`import.file.trailer_mismatch`, …); None when applied.
    error_code: Mapped[str | None] = mapped_column(String(60))
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64))
    #: Data rows in the file (header and trailer not counted).
    read: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Rows that created or changed a record.
    applied: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Rows the database already held exactly so (nothing to change).
    duplicate: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Rows rejected (each with its reasons in `import_reject`).
    rejected: Mapped[int] = mapped_column(BigInteger, default=0)
    #: The trailer's control totals (None when the trailer is missing or unreadable).
    control_rows: Mapped[int | None] = mapped_column(BigInteger)
    control_amount: Mapped[str | None] = mapped_column(String(40))
    #: None: the operator at the command line.
    created_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration_ms: Mapped[int | None] = mapped_column()

    __table_args__ = (UniqueConstraint("kind", "business_date", "sequence", name="uq_import_batch_identity"),)


class ImportReject(Base):
    """Why a row of a batch was rejected: its line in the file, the column and the
    API's error code. A refused file has one row naming what is wrong with the file
    (`field` None)."""

    __tablename__ = "import_reject"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("import_batch.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column()
    field: Mapped[str | None] = mapped_column(String(40))
    code: Mapped[str] = mapped_column(String(60))
    message: Mapped[str] = mapped_column(String(300))

    __table_args__ = (Index("ix_import_reject_batch_line", "batch_id", "line"),)
