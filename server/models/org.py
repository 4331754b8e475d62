from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class Org(Base):
    """A head office, branch or sub-branch. `path` (e.g. `/1/4/9/`) makes
    "this org and everything below it" one indexed prefix match."""

    __tablename__ = "org"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    path: Mapped[str] = mapped_column(String(400), index=True)
    version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)

    __mapper_args__ = {"version_id_col": version}


class OrgTree(Base):
    """The org tree's version, one row: database triggers on `org` (migration 0012) add
    one whenever an org is added, removed or moved, however it is written. A session
    check reads it (server/services/auth.py) and the process's subtree cache is keyed by
    it (server/access.py); reading it is one primary-key look-up however many orgs the
    bank has (counting the orgs was a scan of the table on every request)."""

    __tablename__ = "org_tree"

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (CheckConstraint("id = 1", name="one_row"),)
