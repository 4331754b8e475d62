from __future__ import annotations

from fastapi import APIRouter, Request
from sqlalchemy import text

router = APIRouter()


@router.get("/healthz", include_in_schema=False)
def healthz(request: Request) -> dict[str, str]:
    """Liveness and database reachability, without authentication."""
    with request.app.state.sessionmaker() as db:
        db.execute(text("SELECT 1"))
    return {"status": "ok"}
