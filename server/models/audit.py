from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, FetchedValue, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class AuditLog(Base):
    """Append-only record of security-relevant events (logins, refusals, unmasked reads,
    changes, approvals). The service layer only ever INSERTs (on PostgreSQL the
    application's role may not UPDATE, DELETE or TRUNCATE it); each entry carries its MAC
    and `audit_chain` orders them (server/services/auditchain.py)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"), index=True)
    actor_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(40))
    outcome: Mapped[str] = mapped_column(String(20), default="success")
    source: Mapped[str | None] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text)
    #: `<key id>:<hex HMAC-SHA256>` of the entry's content under the key file's audit key.
    mac: Mapped[str | None] = mapped_column(String(80))
    #: PostgreSQL: the writing transaction's id (a database default); 0: written before
    #: entries had a MAC (the first seal vouches for them); SQLite: None.
    txid: Mapped[int | None] = mapped_column(BigInteger, server_default=FetchedValue())


#: The sealer's order (server/services/auditchain.py).
Index("ix_audit_log_txid", AuditLog.txid, AuditLog.id)


class AuditChain(Base):
    """The order of the audit trail, one row per sealed entry: `link` is the HMAC of the
    previous link, this `seq`, the entry's id and its MAC. Append-only like the log."""

    __tablename__ = "audit_chain"

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    audit_id: Mapped[int] = mapped_column(unique=True)
    txid: Mapped[int | None] = mapped_column(BigInteger)
    mac: Mapped[str] = mapped_column(String(80))
    link: Mapped[str] = mapped_column(String(80))
    sealed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
