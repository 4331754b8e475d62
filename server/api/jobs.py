from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Response

from server.api.deps import DbSession, PageNo, PageSize, PathId, UnitOfWorkRoute, file_response, require
from server.context import Actor
from server.services import jobs
from shared.permissions import Action
from shared.schemas import JobOutputRead, JobRead, Page

router = APIRouter(prefix="/jobs", tags=["jobs"], route_class=UnitOfWorkRoute)


@router.get("/{job_id}", response_model=JobRead)
def get_job(job_id: PathId, actor: Annotated[Actor, require(Action.JOB_READ)], db: DbSession) -> JobRead:
    """A background job's progress: the caller's own jobs; head-office admins' any job.
    Anything else is 404, exactly like an id that does not exist."""
    return jobs.read(db, actor, job_id)


@router.post("/{job_id}/cancel", response_model=JobRead)
def cancel_job(job_id: PathId, actor: Annotated[Actor, require(Action.JOB_CANCEL)], db: DbSession) -> JobRead:
    """Stop a queued or running job (the batch running now does not commit); one that has
    ended is 409 `job.finished` with the job as it is."""
    return jobs.cancel(db, actor, job_id)


@router.get("/{job_id}/outputs", response_model=Page[JobOutputRead])
def job_outputs(job_id: PathId, actor: Annotated[Actor, require(Action.JOB_OUTPUT_READ)], db: DbSession,
                page: PageNo = 1, page_size: PageSize = 50) -> Page[JobOutputRead]:
    """The files a job made, in the order it made them, for the user who started it
    (anyone else: 404)."""
    items, total = jobs.outputs(db, actor, job_id, page, page_size)
    return Page[JobOutputRead](items=items, total=total, page=page, page_size=page_size)


@router.get("/{job_id}/outputs/{output_id}", response_class=Response,
            responses={200: {"content": {"application/pdf": {}}, "description": "The file"}})
def job_output(job_id: PathId, output_id: PathId, actor: Annotated[Actor, require(Action.JOB_OUTPUT_READ)],
               db: DbSession) -> Response:
    name, content = jobs.output(db, actor, job_id, output_id)
    return file_response(content, name, "application/pdf" if name.endswith(".pdf") else "application/octet-stream")
