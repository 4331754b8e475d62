from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.models.base import Base, UtcDateTime, utcnow


class ApprovalRequest(Base):
    """Maker-checker: an action stored with its full payload until a different user
    with the checker permission approves it (then it is executed) or rejects it."""

    __tablename__ = "approval_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), index=True)
    payload: Mapped[str] = mapped_column(Text)
    summary: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(20), default="pending", index=True)
    maker_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    checker_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    #: The organisation of the object: checkers are those whose scope holds it.
    org_id: Mapped[int | None] = mapped_column(ForeignKey("org.id"), index=True)
    #: What the request acts on (`user`, `customer`) and its id (null until a request
    #: that creates the object is executed).
    object_type: Mapped[str | None] = mapped_column(String(30))
    object_id: Mapped[str | None] = mapped_column(String(40))
    #: Goes to head-office checkers (see shared.permissions.ApprovalKind.branch_checked).
    escalated: Mapped[bool] = mapped_column(default=False)
    #: What readers may see of the payload, as JSON (never a password hash or full ID).
    details: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reason: Mapped[str | None] = mapped_column(String(500))
    version: Mapped[int] = mapped_column(default=1)

    __mapper_args__ = {"version_id_col": version}
