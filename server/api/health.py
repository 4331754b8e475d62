from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from server.api.deps import DbSession

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(db: DbSession) -> dict[str, str]:
    """Liveness and database reachability, without authentication."""
    db.execute(text("SELECT 1"))
    return {"status": "ok"}
