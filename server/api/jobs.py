from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter

from server.api.deps import DbSession, PathId, UnitOfWorkRoute, require
from server.context import Actor
from server.services import jobs
from shared.permissions import Action
from shared.schemas import JobRead

router = APIRouter(prefix="/jobs", tags=["jobs"], route_class=UnitOfWorkRoute)


@router.get("/{job_id}", response_model=JobRead)
def get_job(job_id: PathId, actor: Annotated[Actor, require(Action.JOB_READ)], db: DbSession) -> JobRead:
    """A background job's progress: the caller's own jobs; head-office admins' any job.
    Anything else is 404, exactly like an id that does not exist."""
    return jobs.read(db, actor, job_id)
