"""All tables, imported here so Alembic sees one metadata."""
from server.models.approval import ApprovalRequest
from server.models.archive import CustomerArchive
from server.models.audit import AuditChain, AuditLog
from server.models.base import Base, SequenceCounter
from server.models.customer import Customer, CustomerSearchKey
from server.models.finance import (
    BalanceSheet,
    BalanceSheetLine,
    Household,
    HouseholdMember,
    IncomeStatement,
    IncomeStatementLine,
)
from server.models.history import ChangeRecord
from server.models.idempotency import IdempotencyRecord
from server.models.imports import ImportBatch, ImportReject
from server.models.job import Job, JobOutput
from server.models.org import Org, OrgTree
from server.models.parameter import SystemParameter
from server.models.user import (
    DeviceToken,
    LoginThrottle,
    MfaChallenge,
    RecoveryCode,
    SecondFactor,
    User,
    UserSession,
)

__all__ = [
    "ApprovalRequest",
    "AuditChain",
    "AuditLog",
    "BalanceSheet",
    "BalanceSheetLine",
    "Base",
    "ChangeRecord",
    "Customer",
    "CustomerArchive",
    "CustomerSearchKey",
    "DeviceToken",
    "Household",
    "HouseholdMember",
    "IdempotencyRecord",
    "ImportBatch",
    "ImportReject",
    "IncomeStatement",
    "IncomeStatementLine",
    "Job",
    "JobOutput",
    "LoginThrottle",
    "MfaChallenge",
    "Org",
    "OrgTree",
    "RecoveryCode",
    "SecondFactor",
    "SequenceCounter",
    "SystemParameter",
    "User",
    "UserSession",
]
