"""The archive of deleted customers (R-204): a customer is deleted only through an
approval, and before its live rows go, everything it was is kept here as one snapshot
(server/services/archive.py)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, Identifier, UtcDateTime, utcnow


class CustomerArchive(Base):
    """One deleted customer: its profile, household, balance sheets, income tables and
    change history as one JSON snapshot sealed with the key file's data key (it holds
    resident IDs, phones and addresses: no identifier is stored here in plain text).
    The plain columns are what finds and scopes an archive; `identifier_index` is the
    keyed hash (`FieldCipher.blind_index`) of the resident ID or credit code, for an
    exact search. No foreign key to the customer: it is gone while archived, and comes
    back with the same id. A restored archive stays as the record of the act, its
    snapshot and index dropped (the live rows hold them again)."""

    __tablename__ = "customer_archive"

    id: Mapped[int] = mapped_column(primary_key=True)
    customer_id: Mapped[int] = mapped_column()
    customer_no: Mapped[str] = mapped_column(Identifier(20), index=True)
    type: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    org_id: Mapped[int] = mapped_column(ForeignKey("org.id"), index=True)
    manager_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    identifier_index: Mapped[str | None] = mapped_column(String(64), index=True)
    #: `<key id>:<base64>` of the snapshot's JSON (field `customer_archive.snapshot`); None once restored
    snapshot: Mapped[str | None] = mapped_column(Text)
    #: the maker's reason for the deletion
    reason: Mapped[str] = mapped_column(String(500))
    approval_id: Mapped[int | None] = mapped_column(ForeignKey("approval_request.id"))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    archived_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    archived_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    restored_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    restored_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    restore_reason: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        # a customer is archived once at a time (deleted, restored, deleted again: a new row)
        Index("uq_customer_archive_customer_open", "customer_id", unique=True,
              postgresql_where=text("restored_at IS NULL"), sqlite_where=text("restored_at IS NULL")),
        Index("ix_customer_archive_customer_id", "customer_id"),
    )
