"""Stable machine codes for errors, and the field-level error both sides build.

A code names what is wrong (`customer.id_number.checksum`); the client translates
codes, so English messages here are only a default for API users.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    code: str
    message: str
    params: dict[str, Any] = dataclasses.field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": self.message, "params": dict(self.params)}


# Problem codes (the top-level `code` of an application/problem+json body).
VALIDATION_FAILED = "validation.failed"
AUTH_REQUIRED = "auth.required"
AUTH_INVALID_CREDENTIALS = "auth.invalid_credentials"
AUTH_THROTTLED = "auth.throttled"
AUTH_PASSWORD_CHANGE_REQUIRED = "auth.password_change_required"
AUTH_WRONG_PASSWORD = "auth.wrong_password"
#: An `mfa_token` unknown, expired, already used, or spent by too many wrong codes (401).
AUTH_MFA_TOKEN_INVALID = "auth.mfa_token_invalid"
#: A wrong second-factor code: 401 at `/auth/totp`, 403 in a re-authentication.
AUTH_MFA_CODE_INVALID = "auth.mfa_code_invalid"
#: `/auth/totp/enrolment/confirm` without an enrolment started (409).
AUTH_MFA_NOT_PENDING = "auth.mfa_enrolment_not_pending"
FORBIDDEN = "permission.denied"
FORBIDDEN_FIELD = "permission.field_denied"
NOT_FOUND = "resource.not_found"
VERSION_CONFLICT = "resource.version_conflict"
CUSTOMER_DUPLICATE_ID = "customer.id_number.duplicate"
CUSTOMER_DUPLICATE_USCC = "customer.uscc.duplicate"
USER_DUPLICATE = "user.username.duplicate"
ORG_DUPLICATE = "org.code.duplicate"
#: A deletion of this customer is already waiting for a checker (409).
CUSTOMER_DELETE_PENDING = "customer.delete.pending"
#: The archived customer's restore window (`CRM_RESTORE_DAYS`) has passed (409).
ARCHIVE_RESTORE_EXPIRED = "archive.restore_expired"
#: Another customer now holds the archived customer's resident ID, credit code or core
#: banking id: restoring it would make two records of one person (409, naming nothing).
ARCHIVE_RESTORE_IDENTIFIER_TAKEN = "archive.restore_identifier_taken"
#: SQLite only, which gives a deleted row's id to the next row: another customer now has
#: the archived customer's id (409).
ARCHIVE_RESTORE_ID_TAKEN = "archive.restore_id_taken"
APPROVAL_SELF = "approval.own_request"
APPROVAL_NOT_PENDING = "approval.not_pending"
APPROVAL_STALE = "approval.stale"
APPROVAL_UNKNOWN_KIND = "approval.unknown_kind"
APPROVAL_CHECKER_CREDENTIALS = "approval.checker_credentials_set_by_maker"
APPROVAL_CHECKER_IS_TARGET = "approval.checker_is_target"
SELF_ADMINISTRATION = "user.self_administration"
PAYLOAD_TOO_LARGE = "request.too_large"
RATE_LIMITED = "request.rate_limited"
INTERNAL = "server.internal_error"
UNAVAILABLE = "server.unavailable"

# Generic field codes (used for any field; the field name says which).
FIELD_REQUIRED = "field.required"
FIELD_UNKNOWN = "field.unknown"
FIELD_INVALID = "field.invalid"
FIELD_TOO_LONG = "field.too_long"
FIELD_TOO_SHORT = "field.too_short"
FIELD_CHOICE = "field.invalid_choice"
FIELD_DATE = "field.invalid_date"
FIELD_INTEGER = "field.invalid_integer"
FIELD_READ_ONLY = "field.read_only"
FIELD_DECIMAL = "field.invalid_decimal"
FIELD_DECIMAL_PLACES = "field.too_many_decimals"
FIELD_OUT_OF_RANGE = "field.out_of_range"
