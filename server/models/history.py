from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class ChangeRecord(Base):
    """R-203, for every audited resource: one row per changed field, written in the
    change's own transaction. `old`/`new` hold the value as any reader may see it (a
    sensitive field: its mask); `old_sealed`/`new_sealed` the full value of a sensitive
    field, encrypted (server/crypto.py), for readers with the right to it. No sensitive
    value is stored in plain text. No foreign key to the resource: history outlives it."""

    __tablename__ = "change_history"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource: Mapped[str] = mapped_column(String(30))
    resource_id: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    action: Mapped[str] = mapped_column(String(20))
    field: Mapped[str | None] = mapped_column(String(40))
    old: Mapped[str | None] = mapped_column(Text)
    new: Mapped[str | None] = mapped_column(Text)
    old_sealed: Mapped[str | None] = mapped_column(Text)
    new_sealed: Mapped[str | None] = mapped_column(Text)
    #: The approval this change executed, if it waited for a checker.
    approval_id: Mapped[int | None] = mapped_column()

    __table_args__ = (Index("ix_change_history_resource", "resource", "resource_id", "id"),)
