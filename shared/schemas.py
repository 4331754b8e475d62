"""Request and response bodies of the HTTP API (CONTRACT.md), shared by server and client.

Naming follows `XCreate` / `XUpdate` / `XRead` / `Page[XRead]`. Write models forbid
unknown fields (no mass assignment); business rules that need more than one field or
the database live in the server's services, field rules in `shared.validators`.
"""
from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Generic, Literal, TypeVar, Union

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    StrictInt,
    create_model,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from shared import errors as codes
from shared.enums import (
    ApprovalStatus,
    CustomerSort,
    CustomerType,
    Education,
    ExportFormat,
    Gender,
    IncomeBand,
    JobStatus,
    LifecycleStage,
    MaritalStatus,
    OrgKind,
    Position,
    RatioCode,
    Relation,
    Role,
)
from shared.finance import BALANCE_GROUPS, INCOME_GROUPS, LABELLED_LINES, LINE_GROUPS, MEMBER_LINES, Line
from shared.parameters import PARAMETERS, Money, ParameterSpec, fail_at
from shared.validators import USERNAME_LENGTH, USERNAME_PATTERN

T = TypeVar("T")

#: Row ids and versions fit PostgreSQL's `integer` (TRAPS.md): a larger one cannot exist,
#: so it is refused (422 in a body or query, 404 in a path) before it reaches the driver.
MAX_ID = 2**31 - 1
#: An id in a request body: a JSON integer (never `true` or "7"), 1 … MAX_ID.
ObjectId = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]
#: The `version` a write was based on (optimistic concurrency).
Version = Annotated[StrictInt, Field(ge=1, le=MAX_ID)]


def _refuse_null(*fields: str) -> Any:
    """For update bodies: these fields may be left out, but not sent as `null` (which
    would otherwise be silently ignored or clear a value that must exist)."""
    def check(cls: type, v: Any) -> Any:
        if v is None:
            raise PydanticCustomError("field.required", "May not be null")
        return v
    return field_validator(*fields, mode="before")(classmethod(check))


#: What no bank record contains (tabs and line breaks are allowed): refused as `field.control_characters`.
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _refuse_control_characters(v: Any) -> Any:
    """NUL and other control characters are never part of a bank record (and
    PostgreSQL refuses NUL in text); tabs and line breaks are allowed."""
    if isinstance(v, str) and CONTROL_CHARACTERS.search(v):
        raise PydanticCustomError("field.control_characters", "Contains control characters")
    return v


#: Text a client sends as a query parameter or filter: never with control characters
#: (`field.control_characters`; PostgreSQL refuses a NUL, which answered 500).
Text = Annotated[str, BeforeValidator(_refuse_control_characters)]


class _Write(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    _no_control_characters = field_validator("*", mode="before")(
        classmethod(lambda cls, v: _refuse_control_characters(v)))


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
    parent_id: ObjectId | None


class OrgUpdate(_Write):
    version: Version
    code: str | None = Field(default=None, min_length=1, max_length=20)
    name: str | None = Field(default=None, min_length=1, max_length=100)

    _not_null = _refuse_null("code", "name")


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
    org_id: ObjectId
    position: Position = Position.STAFF
    must_change_password: StrictBool = False


class UserUpdate(_Write):
    version: Version
    display_name: str | None = Field(default=None, min_length=1, max_length=60)
    role: Role | None = None
    org_id: ObjectId | None = None
    position: Position | None = None

    _not_null = _refuse_null("display_name", "role", "org_id", "position")


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
    #: Who decided (`checker` is the same, kept for older clients).
    decided_by: ActorRead | None = None
    checker: ActorRead | None = None
    created_at: datetime
    decided_at: datetime | None = None
    reason: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    #: Structured facts of the request for the client to phrase in its own language
    #: (e.g. `username`, `role`, `org_id`); the English `summary` is for API users.
    details: dict[str, Any] = {}
    version: int


class ApprovalDecision(_Write):
    version: Version
    reason: str | None = Field(default=None, max_length=500)


# ----------------------------------------------------------------------------- auth
class LoginRequest(_Write):
    username: str = Field(max_length=200)
    password: str = Field(max_length=1024)
    #: From an earlier successful login of this user on this workstation: exempts the
    #: attempt from the per-address throttle (never from the account's own lock-out).
    device_token: str | None = Field(default=None, max_length=200)


#: A second-factor code as typed: 6 digits, or a recovery code (`ABCD-EFGH-JKLM-NPQR-STUV-WXYZ`).
MfaCode = Annotated[str, Field(min_length=1, max_length=64)]


class PasswordChange(_Write):
    old_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024)
    #: Required once the user has enrolled a second factor (a TOTP or recovery code).
    code: MfaCode | None = None


#: The keys only a second-factor answer has: left out of a plain login response.
_MFA_KEYS = frozenset({"mfa_required", "mfa_enrolment_required", "mfa_token", "otpauth_uri", "recovery_codes"})
_CHALLENGE_KEYS = frozenset({"mfa_required", "mfa_enrolment_required", "mfa_token", "otpauth_uri"})


class LoginResponse(BaseModel):
    """A session `{access_token, token_type, expires_at, user, ...}`; or, where the role
    needs a second factor, only `{mfa_required: true, mfa_token}` (enrolled) or
    `{mfa_enrolment_required: true, mfa_token, otpauth_uri}` (first time), to be sent with
    a code to `POST /auth/totp`, whose session answer adds `recovery_codes` when it
    completed an enrolment. Absent keys are left out, so a plain login answers exactly
    as before the second factor existed."""

    access_token: str | None = None
    token_type: str = "bearer"
    expires_at: datetime | None = None
    user: UserRead | None = None
    password_change_required: bool = False
    #: Opaque, per user and workstation: send it with this user's next logins from here.
    device_token: str | None = None
    mfa_required: bool | None = None
    mfa_enrolment_required: bool | None = None
    #: Short-lived and single-use; only `POST /auth/totp` takes it (never as a bearer token).
    mfa_token: str | None = None
    otpauth_uri: str | None = None
    #: Shown once, when `POST /auth/totp` completed an enrolment.
    recovery_codes: list[str] | None = None

    # unannotated return: the JSON schema stays the model's (an annotation would replace it)
    @model_serializer(mode="wrap")
    def _present_keys(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        data = handler(self)
        if not isinstance(data, dict):
            return data
        if self.access_token is None:  # a second-factor challenge
            return {k: v for k, v in data.items() if k in _CHALLENGE_KEYS and v is not None}
        return {k: v for k, v in data.items() if k not in _MFA_KEYS or v is not None}


class TotpLogin(_Write):
    """`POST /auth/totp`: the login's second step."""

    mfa_token: str = Field(max_length=200)
    code: MfaCode


class TotpEnrolmentStart(_Write):
    """`POST /auth/totp/enrolment`: re-authentication (the code once enrolled)."""

    password: str = Field(max_length=1024)
    code: MfaCode | None = None


class TotpEnrolment(BaseModel):
    """A new pending secret: the URI for the QR code and the secret for typing in."""

    otpauth_uri: str
    secret: str


class TotpConfirm(_Write):
    code: MfaCode


class RecoveryCodes(BaseModel):
    """Shown once: each works once in place of a code."""

    recovery_codes: list[str]


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
    manager_id: ObjectId | None = None


class CustomerCreate(_CustomerDetails):
    type: CustomerType = CustomerType.PERSONAL
    name: str = Field(max_length=100)
    org_id: ObjectId


class CustomerUpdate(_CustomerDetails):
    """Only the fields present in the JSON change; `null` clears an optional field."""

    version: Version
    name: str | None = Field(default=None, max_length=100)
    org_id: ObjectId | None = None

    _not_null = _refuse_null("name", "org_id")


#: Fields a client may write on a customer (create or update), in form order.
CUSTOMER_FIELDS = ("name", "gender", "birth_date", "id_number", "uscc", "phone", "address", "occupation",
                   "employer", "marital_status", "education", "income_band", "lifecycle_stage", "org_id",
                   "manager_id")
assert set(CUSTOMER_FIELDS) == set(CustomerCreate.model_fields) - {"type"}
#: Only a personal customer has these (given for a corporate one: `field.not_applicable`).
PERSONAL_ONLY_FIELDS = ("gender", "birth_date", "id_number", "marital_status", "education", "income_band",
                        "occupation", "employer")
#: Only a corporate customer has these.
CORPORATE_ONLY_FIELDS = ("uscc",)
#: What a new customer must have, by type (CONTRACT.md: "Required on create").
REQUIRED_ON_CREATE: dict[CustomerType, tuple[str, ...]] = {
    CustomerType.PERSONAL: ("name", "gender", "birth_date", "id_number", "org_id"),
    CustomerType.CORPORATE: ("name", "uscc", "org_id"),
}


class CustomerSummary(_Read):
    """One row of a search result: identifiers are always masked in lists, and so is
    the birth date (digits 7-14 of a resident ID are the birth date: shown beside the
    mask it would give the number back). `age` in whole years stands in for it."""

    id: int
    customer_no: str
    type: CustomerType
    name: str
    gender: Gender | None
    #: null where the resident ID is masked for this reader (then in `masked_fields`)
    birth_date: date | None
    age: int | None = None
    id_number: str | None
    uscc: str | None = None
    phone: str | None
    org_id: int
    manager_id: int | None
    #: the responsible account manager's display name (what the list's column and the
    #: profile's header show; readers who may not list users still see whose customer it is)
    manager_name: str | None = None
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


class CustomerQuery(BaseModel):
    """Which customers, in which order: what the search view asks, what the client API
    sends as query parameters, what the route hands the service — one object all the
    way (a campaign's saved segment will be one too). Paging is not part of it."""

    q: Text | None = Field(default=None, max_length=100)
    #: The organisation and everything below it.
    org_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    manager_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    type: CustomerType | None = None
    sort: CustomerSort = CustomerSort.NAME

    def params(self) -> dict[str, str]:
        """As query parameters: only what differs from the defaults."""
        return {k: str(v) for k, v in self.model_dump(mode="json", exclude_defaults=True).items()
                if v not in (None, "")}


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


# ----------------------------------------------------------------------------- deletion, archive, restore
def _refuse_blank(*fields: str) -> Any:
    """These text fields, when given, must hold more than spaces (`field.required`)."""
    def check(cls: type, v: Any) -> Any:
        if isinstance(v, str) and not v.strip():
            raise PydanticCustomError("field.required", "May not be blank")
        return v
    return field_validator(*fields)(classmethod(check))


class CustomerDelete(_Write):
    """`DELETE /customers/{id}`: a request for a checker (never a direct delete)."""

    version: Version
    reason: str = Field(min_length=1, max_length=500)

    _not_blank = _refuse_blank("reason")


class ArchiveRestore(_Write):
    """`POST /archive/customers/{id}/restore`: the body is optional, and so is the reason."""

    reason: str | None = Field(default=None, min_length=1, max_length=500)

    _not_blank = _refuse_blank("reason")


class ArchivedCustomerRead(BaseModel):
    """A customer in the archive of deleted customers. `id` is the customer's own id (the
    one it had and gets back on restore); identifiers come masked, opened from the sealed
    snapshot for the page's rows only."""

    id: int
    archive_id: int
    customer_no: str
    type: CustomerType
    name: str
    org_id: int
    manager_id: int | None
    #: masked (`110101********4514`); null for a corporate customer
    id_number: str | None
    uscc: str | None = None
    archived_at: datetime
    #: the checker who approved the deletion, and the maker who asked for it
    archived_by: ActorRead | None
    requested_by: ActorRead | None
    approval_id: int | None
    reason: str
    restorable_until: datetime


class AuditEntry(_Read):
    """CONTRACT.md's `{id, at, actor, action, object_type, object_id, outcome, source,
    details}`; `actor_id`, `actor_name` (the username as recorded) and `detail` (the
    details as recorded JSON text) are the same facts as first served."""

    id: int
    at: datetime
    #: who acted, as a user now (null for an anonymous attempt, e.g. a failed login)
    actor: ActorRead | None = None
    actor_id: int | None
    actor_name: str | None
    action: str
    object_type: str | None
    object_id: str | None
    outcome: str
    source: str | None
    details: dict[str, Any] | None = None
    detail: str | None


# ----------------------------------------------------------------------------- system parameters
class ParameterMeta(_Read):
    """What every parameter version carries besides its value (shared/parameters.py).
    A read is flat: these fields and the value's fields side by side."""

    name: str
    version: int
    #: null for the built-in default (version 1): in force since the beginning.
    changed_at: datetime | None
    changed_by: ActorRead | None
    reason: str | None
    description: str


class ParameterWrite(_Write):
    """`PUT /parameters/{name}`: the version read, an optional reason and the whole value."""

    version: StrictInt = Field(ge=1)
    reason: str | None = Field(default=None, max_length=500)


def _read_model(spec: ParameterSpec[Any]) -> type[ParameterMeta]:
    name = spec.model.__name__
    model: type[ParameterMeta] = create_model(f"{name}Read", __base__=(spec.model, ParameterMeta),
                                              name=(Literal[spec.name], spec.name))  # type: ignore[arg-type]
    return model


def _write_model(spec: ParameterSpec[Any]) -> type[ParameterWrite]:
    model: type[ParameterWrite] = create_model(f"{spec.model.__name__}Update",
                                               __base__=(spec.model, ParameterWrite))
    return model


#: name -> the flat read model (`RatioRangesRead`: name, version, ..., ranges).
PARAMETER_READ_MODELS: dict[str, type[ParameterMeta]] = {n: _read_model(s) for n, s in PARAMETERS.items()}
#: name -> the PUT body model (`RatioRangesUpdate`: version, reason, ranges).
PARAMETER_UPDATE_MODELS: dict[str, type[ParameterWrite]] = {n: _write_model(s) for n, s in PARAMETERS.items()}
#: Any parameter's read, told apart by `name` (the response of the `{name}` routes).
ParameterRead = Annotated[Union[tuple(PARAMETER_READ_MODELS.values())], Field(discriminator="name")]  # type: ignore[valid-type]  # noqa: UP007

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


# ----------------------------------------------------------------------------- exports
#: The most rows one export holds (a branch's book is thousands; the bank's two million
#: are not exported from a desktop).
MAX_EXPORT_ROWS = 100_000
#: A filter's name as the list's query parameter (`q`, `org_id`, `action`…).
FilterName = Annotated[str, Field(min_length=1, max_length=30, pattern=r"^[a-z_]+$")]


class ExportRecord(_Write):
    """What a client exported from a list, for the audit trail (POST
    /api/v1/{customers,users,audit,approvals}/exports): the file's format, how many rows,
    the columns and the filters the list was shown with. The client writes the file only
    once the server has recorded this."""

    format: ExportFormat
    rows: StrictInt = Field(ge=0, le=MAX_EXPORT_ROWS)
    columns: list[Annotated[Text, Field(min_length=1, max_length=60)]] = Field(min_length=1, max_length=40)
    filters: dict[FilterName, Annotated[Text, Field(max_length=100)]] = Field(default_factory=dict, max_length=12)


# ----------------------------------------------------------------------------- household finance
class FinanceLineIn(_Write):
    """One line of a balance sheet or an income table: a standard `type` of the
    statement's groups (shared.finance.LINE_GROUPS), its amount as a decimal string
    (0 … 999,999,999,999.99, at most 2 decimals), a `label` for an `other_*` line, and
    for an income line the household member it is theirs."""

    _groups: ClassVar[tuple[str, ...]] = ()
    type: str = Field(max_length=40)
    amount: Money
    label: str | None = Field(default=None, max_length=60)
    member_id: ObjectId | None = None

    @field_validator("type")
    @classmethod
    def _type_of_this_statement(cls, v: str) -> str:
        if LINE_GROUPS.get(v) not in cls._groups:
            raise PydanticCustomError(codes.FIELD_CHOICE, "Not a line of this statement")
        return v

    @model_validator(mode="after")
    def _label_and_member(self) -> FinanceLineIn:
        problems: list[tuple[tuple[str | int, ...], str, str, dict[str, Any], Any]] = []
        if self.type in LABELLED_LINES and not (self.label or "").strip():
            problems.append((("label",), codes.FIELD_REQUIRED, "An other line needs a label", {}, self.label))
        if self.member_id is not None and self.type not in MEMBER_LINES:
            problems.append((("member_id",), "field.not_applicable", "Only income lines name a member", {},
                             self.member_id))
        if problems:
            fail_at(type(self).__name__, problems)
        return self

    def line(self) -> Line:
        return Line(self.type, Decimal(self.amount), self.label, self.member_id)


class BalanceSheetLineIn(FinanceLineIn):
    _groups: ClassVar[tuple[str, ...]] = BALANCE_GROUPS


class IncomeStatementLineIn(FinanceLineIn):
    _groups: ClassVar[tuple[str, ...]] = INCOME_GROUPS


#: The most lines one statement holds (a household's, with room to spare).
MAX_STATEMENT_LINES = 200


class BalanceSheetLines(_Write):
    lines: list[BalanceSheetLineIn] = Field(max_length=MAX_STATEMENT_LINES)


class IncomeStatementLines(_Write):
    lines: list[IncomeStatementLineIn] = Field(max_length=MAX_STATEMENT_LINES)


#: The most members one household lists.
MAX_HOUSEHOLD_MEMBERS = 20
#: A household's second "self" member.
HOUSEHOLD_SECOND_SELF = "household.members.second_self"


class HouseholdMemberIn(_Write):
    """A member as saved: with the `id` the server gave it to keep it (income lines name
    it), without one to add it; a member left out is removed."""

    id: ObjectId | None = None
    name: str = Field(min_length=1, max_length=50)
    relation: Relation
    birth_date: date | None = None
    occupation: str | None = Field(default=None, max_length=60)
    #: the member's own customer record, if the bank has one (it must be one the user can look up)
    customer_id: ObjectId | None = None

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, v: str) -> str:
        if not v.strip():
            raise PydanticCustomError(codes.FIELD_REQUIRED, "A name is required")
        return v.strip()

    @field_validator("birth_date")
    @classmethod
    def _born_already(cls, v: date | None) -> date | None:
        if v is not None and v > date.today():
            raise PydanticCustomError("customer.birth_date.future", "Date of birth is in the future")
        return v


class HouseholdIn(_Write):
    """`PUT /api/v1/customers/{id}/household`: the whole household, based on `version`
    (0 for a customer whose household was never saved)."""

    version: Annotated[StrictInt, Field(ge=0, le=MAX_ID)]
    members: list[HouseholdMemberIn] = Field(max_length=MAX_HOUSEHOLD_MEMBERS)

    @field_validator("members")
    @classmethod
    def _one_self(cls, members: list[HouseholdMemberIn]) -> list[HouseholdMemberIn]:
        selves = [i for i, m in enumerate(members) if m.relation == Relation.SELF]
        if len(selves) > 1:
            fail_at("HouseholdIn", [((selves[1], "relation"), HOUSEHOLD_SECOND_SELF,
                                     "A household has one customer it belongs to", {}, "self")])
        return members


class HouseholdMemberRead(BaseModel):
    id: int
    name: str
    relation: Relation
    birth_date: date | None
    occupation: str | None
    customer_id: int | None


class HouseholdRead(BaseModel):
    #: null until the household is first saved (its version is then 0)
    id: int | None
    customer_id: int
    members: list[HouseholdMemberRead]
    version: int


class BalanceSheetIn(_Write):
    """`POST /api/v1/customers/{id}/balance-sheets`: the household's balance sheet as of a date."""

    as_of: date
    lines: list[BalanceSheetLineIn] = Field(max_length=MAX_STATEMENT_LINES)


class BalanceSheetUpdate(_Write):
    """`PATCH .../balance-sheets/{id}`: the lines replaced, based on `version`."""

    version: Version
    lines: list[BalanceSheetLineIn] = Field(max_length=MAX_STATEMENT_LINES)


class FinanceLineRead(BaseModel):
    type: str
    group: str
    label: str | None = None
    amount: str
    member_id: int | None = None


class BalanceSheetRead(BaseModel):
    id: int
    customer_id: int
    as_of: date
    version: int
    lines: list[FinanceLineRead]
    #: liquid, investment, personal_use, total_assets, short_term, long_term, total_liabilities, net_worth
    totals: dict[str, str]
    created_at: datetime
    updated_at: datetime


class IncomeStatementIn(_Write):
    """`POST /api/v1/customers/{id}/income-statements`: the household's year."""

    year: Annotated[StrictInt, Field(ge=1900, le=2100)]
    lines: list[IncomeStatementLineIn] = Field(max_length=MAX_STATEMENT_LINES)


class IncomeStatementUpdate(_Write):
    version: Version
    lines: list[IncomeStatementLineIn] = Field(max_length=MAX_STATEMENT_LINES)


class IncomeStatementRead(BaseModel):
    id: int
    customer_id: int
    year: int
    version: int
    lines: list[FinanceLineRead]
    #: income, expense, savings
    totals: dict[str, str]
    created_at: datetime
    updated_at: datetime


class FinancePreviewIn(_Write):
    """`POST /api/v1/finance-analysis/preview`: unsaved figures, analysed, stored nowhere."""

    balance_sheet: BalanceSheetLines | None = None
    income_statement: IncomeStatementLines | None = None


class RatioRangeRead(BaseModel):
    min: str | None
    max: str | None


class RatioRead(BaseModel):
    code: RatioCode
    #: 4 decimals; null when not applicable (then `reason` says why)
    value: str | None
    range: RatioRangeRead
    verdict: str
    reason: str | None = None


class FinanceAnalysis(BaseModel):
    """The totals of both statements (null where that statement is missing), the seven
    ratios, and the version of the reference ranges they were judged by."""

    balance_sheet_id: int | None = None
    income_statement_id: int | None = None
    totals: dict[str, str | None]
    ratios: list[RatioRead]
    ranges_version: int


# ----------------------------------------------------------------------------- printed statements
#: The languages a statement prints in.
StatementLang = Literal["zh_CN", "en"]


class StatementBatchIn(_Write):
    """`POST /api/v1/statements/batches`: the statements of a manager's customers (default:
    the caller's own book; a branch manager without `manager_id`: every customer in their
    subtree) that have a balance sheet of `as_of` or an income table of `year` (default:
    each customer's latest), printed by a job."""

    manager_id: ObjectId | None = None
    as_of: date | None = None
    year: int | None = Field(default=None, ge=1900, le=2100)
    lang: StatementLang = "zh_CN"


class JobOutputRead(BaseModel):
    """A file a job made (`GET /api/v1/jobs/{id}/outputs`), downloaded at
    `GET /api/v1/jobs/{id}/outputs/{output_id}`."""

    id: int
    name: str
    size: int
    created_at: datetime
