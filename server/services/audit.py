"""The audit log: append-only, written in the same transaction as what it records."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from server.context import Actor, Principal
from server.models import AuditLog


def record(db: Session, action: str, *, who: Actor | Principal | None = None, actor_name: str | None = None,
           object_type: str | None = None, object_id: Any = None, outcome: str = "success",
           source: str | None = None, **detail: Any) -> None:
    principal = who.principal if isinstance(who, Actor) else who
    if isinstance(who, Actor) and source is None:
        source = who.source
    db.add(AuditLog(
        actor_id=principal.user_id if principal else None,
        actor_name=principal.username if principal else actor_name,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        outcome=outcome,
        source=source,
        detail=json.dumps(detail, ensure_ascii=False, default=str) if detail else None,
    ))
