"""Closed vocabularies of the domain. Values travel over the wire as these strings."""
from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    TELLER = "teller"
    ACCOUNT_MANAGER = "account_manager"
    BRANCH_MANAGER = "branch_manager"
    HEAD_OFFICE_ADMIN = "head_office_admin"
    AUDITOR = "auditor"


#: Granting one of these needs a second head-office admin's approval (roles-and-permissions.md).
PRIVILEGED_ROLES = frozenset({Role.HEAD_OFFICE_ADMIN, Role.AUDITOR})


class Position(StrEnum):
    BRANCH_PRESIDENT = "branch_president"
    DEPARTMENT_HEAD = "department_head"
    ACCOUNT_MANAGER = "account_manager"
    STAFF = "staff"


class OrgKind(StrEnum):
    HEAD_OFFICE = "head_office"
    BRANCH = "branch"
    SUB_BRANCH = "sub_branch"


#: Which kind of organisation may sit directly under which.
ORG_PARENT_KIND = {
    OrgKind.HEAD_OFFICE: None,
    OrgKind.BRANCH: OrgKind.HEAD_OFFICE,
    OrgKind.SUB_BRANCH: OrgKind.BRANCH,
}


class Gender(StrEnum):
    MALE = "male"
    FEMALE = "female"


class CustomerType(StrEnum):
    PERSONAL = "personal"
    CORPORATE = "corporate"


class CustomerSort(StrEnum):
    """Orders a customer list can be sorted in (`-` descending). Name order is pinyin."""

    NAME = "name"
    NAME_DESC = "-name"
    CUSTOMER_NO = "customer_no"
    CUSTOMER_NO_DESC = "-customer_no"
    CREATED_AT = "created_at"
    CREATED_AT_DESC = "-created_at"
    UPDATED_AT = "updated_at"
    UPDATED_AT_DESC = "-updated_at"


class MaritalStatus(StrEnum):
    SINGLE = "single"
    MARRIED = "married"
    DIVORCED = "divorced"
    WIDOWED = "widowed"


class Education(StrEnum):
    PRIMARY = "primary"
    JUNIOR_SECONDARY = "junior_secondary"
    SENIOR_SECONDARY = "senior_secondary"
    VOCATIONAL = "vocational"
    BACHELOR = "bachelor"
    MASTER = "master"
    DOCTORATE = "doctorate"


class IncomeBand(StrEnum):
    """Annual personal income bands, in CNY."""

    BELOW_50K = "below_50k"
    FROM_50K_TO_100K = "50k_100k"
    FROM_100K_TO_300K = "100k_300k"
    FROM_300K_TO_1M = "300k_1m"
    ABOVE_1M = "above_1m"


class LifecycleStage(StrEnum):
    """R-906: where the relationship stands."""

    ACQUISITION = "acquisition"
    GROWTH = "growth"
    MATURITY = "maturity"
    DECLINE = "decline"


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class RatioCode(StrEnum):
    """Household financial ratios (household-finance.md), in the order they are shown."""

    SAVINGS_RATIO = "savings_ratio"
    INVESTMENT_TO_NET_WORTH = "investment_to_net_worth"
    SOLVENCY = "solvency"
    DEBT_RATIO = "debt_ratio"
    LIQUID_TO_DEBT = "liquid_to_debt"
    DEBT_SERVICE = "debt_service"
    EMERGENCY_FUND = "emergency_fund"  # in months; the others are fractions


class TicketType(StrEnum):
    """Service tickets (service.md)."""

    CONSULTATION = "consultation"
    COMPLAINT = "complaint"
    SUGGESTION = "suggestion"


class TicketPriority(StrEnum):
    NORMAL = "normal"
    URGENT = "urgent"


class JobStatus(StrEnum):
    """A background job's state (server/services/jobs.py). `running` with a stale
    heartbeat is what a crashed worker leaves behind: another worker reclaims it."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    #: stopped by the user who started it (or a head-office admin); no batch after it commits
    CANCELLED = "cancelled"


class ExportFormat(StrEnum):
    """What a list is exported to (the client writes the file; the server records it)."""

    XLSX = "xlsx"
    CSV = "csv"


class Relation(StrEnum):
    """A household member's relation to the customer (CONTRACT.md, Household finance)."""

    SELF = "self"
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    OTHER = "other"
