from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime


class SystemParameter(Base):
    """One version of a system parameter (shared/parameters.py), kept forever.

    The primary key (name, version) is the concurrency guard: two writers who both read
    version N both insert N+1, and only one of them can. Version 1 is the built-in
    default; it is stored (with `changed_by` and `changed_at` null: in force since the
    beginning) together with the first change, so that a later release changing the
    default in code does not rewrite what earlier readers used."""

    __tablename__ = "system_parameter"

    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    version: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    #: The value as JSON, as the parameter's value model dumps it.
    value: Mapped[str] = mapped_column(Text)
    changed_by: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    changed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(500))
