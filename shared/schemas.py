"""Request and response bodies of the HTTP API (CONTRACT.md), shared by server and client.

Naming follows `XCreate` / `XUpdate` / `XRead` / `Page[XRead]`. Write models forbid
unknown fields (no mass assignment); business rules that need more than one field or
the database live in the server's services, field rules in `shared.validators`.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from shared.enums import (
    ApprovalStatus,
    CustomerType,
    Education,
    Gender,
    IncomeBand,
    JobStatus,
    LifecycleStage,
    MaritalStatus,
    OrgKind,
    Position,
    Role,
)
from shared.validators import USERNAME_LENGTH, USERNAME_PATTERN

T = TypeVar("T")


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class _Write(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_control_characters(cls, v: Any) -> Any:
        """NUL and other control characters are never part of a bank record (and
        PostgreSQL refuses NUL in text); tabs and line breaks are allowed."""
        if isinstance(v, str) and _CONTROL.search(v):
            raise PydanticCustomError("field.control_characters", "Contains control characters")
        return v


class _Read(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    page_size: int


# ----------------------------------------------------------------------------- orgs
class OrgCreate(_Write):
    code: str = Field(min_length=1, max_length=20)
    name: str = Field(min_length=1, max_length=100)
    kind: OrgKind
    parent_id: int | None


class OrgUpdate(_Write):
    version: int
    code: str | None = Field(default=None, min_length=1, max_length=20)
    name: str | None = Field(default=None, min_length=1, max_length=100)


class OrgRead(_Read):
    id: int
    code: str
    name: str
    kind: OrgKind
    parent_id: int | None
    version: int


# ----------------------------------------------------------------------------- users
class UserCreate(_Write):
    username: str = Field(min_length=USERNAME_LENGTH[0], max_length=USERNAME_LENGTH[1], pattern=USERNAME_PATTERN)
    password: str = Field(max_length=1024)
    display_name: str = Field(min_length=1, max_length=60)
    role: Role
    org_id: int
    position: Position = Position.STAFF
    must_change_password: bool = False


class UserUpdate(_Write):
    version: int
    display_name: str | None = Field(default=None, min_length=1, max_length=60)
    role: Role | None = None
    org_id: int | None = None
    position: Position | None = None


class PasswordReset(_Write):
    new_password: str = Field(max_length=1024)


class UserRead(_Read):
    id: int
    username: str
    display_name: str
    role: Role
    org_id: int
    position: Position
    locked: bool
    disabled: bool = False
    must_change_password: bool = False
    version: int


class ApprovalPending(BaseModel):
    approval_id: int
    status: ApprovalStatus = ApprovalStatus.PENDING


class ApprovalRead(_Read):
    id: int
    kind: str
    status: ApprovalStatus
    summary: str
    maker: ActorRead
    checker: ActorRead | None = None
    created_at: datetime
    decided_at: datetime | None = None
    reason: str | None = None
    version: int


class ApprovalDecision(_Write):
    version: int
    reason: str | None = Field(default=None, max_length=500)


# ----------------------------------------------------------------------------- auth
class LoginRequest(_Write):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)


class PasswordChange(_Write):
    old_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)


class LoginResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime
    user: UserRead
    password_change_required: bool = False


class Me(BaseModel):
    user: UserRead
    org: OrgRead
    #: action -> scope, from shared.permissions; the client hides what is absent.
    permissions: dict[str, str]
    password_change_required: bool = False
    expires_at: datetime


# ----------------------------------------------------------------------------- customers
class _CustomerDetails(_Write):
    """The optional profile fields, the same for create and update."""

    gender: Gender | None = None
    birth_date: date | None = None
    id_number: str | None = Field(default=None, max_length=40)
    uscc: str | None = Field(default=None, max_length=40)
    phone: str | None = Field(default=None, max_length=30)
    address: str | None = Field(default=None, max_length=200)
    occupation: str | None = Field(default=None, max_length=60)
    employer: str | None = Field(default=None, max_length=100)
    marital_status: MaritalStatus | None = None
    education: Education | None = None
    income_band: IncomeBand | None = None
    lifecycle_stage: LifecycleStage | None = None
    manager_id: int | None = None


class CustomerCreate(_CustomerDetails):
    type: CustomerType = CustomerType.PERSONAL
    name: str = Field(max_length=100)
    org_id: int


class CustomerUpdate(_CustomerDetails):
    """Only the fields present in the JSON change; `null` clears an optional field."""

    version: int
    name: str | None = Field(default=None, max_length=100)
    org_id: int | None = None


#: Fields a client may write on a customer (create or update), in form order.
CUSTOMER_FIELDS = ("name", "gender", "birth_date", "id_number", "uscc", "phone", "address", "occupation",
                   "employer", "marital_status", "education", "income_band", "lifecycle_stage", "org_id",
                   "manager_id")
assert set(CUSTOMER_FIELDS) == set(CustomerCreate.model_fields) - {"type"}


class CustomerSummary(_Read):
    """One row of a search result: identifiers are always masked in lists."""

    id: int
    customer_no: str
    type: CustomerType
    name: str
    gender: Gender | None
    birth_date: date | None
    id_number: str | None
    uscc: str | None = None
    phone: str | None
    org_id: int
    manager_id: int | None
    version: int


class CustomerRead(CustomerSummary):
    address: str | None
    occupation: str | None
    employer: str | None
    marital_status: MaritalStatus | None
    education: Education | None
    income_band: IncomeBand | None
    lifecycle_stage: LifecycleStage | None
    created_at: datetime
    updated_at: datetime
    #: Fields whose value is masked for this reader (they cannot be edited from it).
    masked_fields: list[str] = []


class CustomerPage(Page[CustomerSummary]):
    #: True when `total` was capped (a very common fragment); the client shows "N+".
    total_capped: bool = False


class ActorRead(_Read):
    id: int
    username: str
    display_name: str


class HistoryEntry(BaseModel):
    at: datetime
    actor: ActorRead | None
    action: str
    field: str | None
    old: str | None
    new: str | None
    #: For reference fields (org_id, manager_id): the name the id stood for, so a reader
    #: who may not look the org or user up still sees who or where was meant.
    old_label: str | None = None
    new_label: str | None = None


class AuditEntry(_Read):
    id: int
    at: datetime
    actor_id: int | None
    actor_name: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    source: str | None
    detail: str | None


# ----------------------------------------------------------------------------- jobs
class JobErrorRead(BaseModel):
    """Why a job failed: a stable code the client translates, and a short message
    (never a traceback, SQL or personal data)."""

    code: str
    message: str


class JobRead(BaseModel):
    """A background job's progress (`GET /api/v1/jobs/{id}`). `total` is None until the
    job knows it, an estimate while it runs and exact (= `done`) once it succeeded."""

    id: int
    kind: str
    status: JobStatus
    done: int
    total: int | None
    error: JobErrorRead | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


ApprovalRead.model_rebuild()


def problem_fields(body: dict[str, Any]) -> dict[str, str]:
    """field -> first error code of a 422 problem body (for forms)."""
    out: dict[str, str] = {}
    for e in body.get("errors") or []:
        out.setdefault(e.get("field", ""), e.get("code", ""))
    return out
