"""Validators for the identifiers of Chinese banking (R-205), used live by the client
and authoritatively by the server. Each returns the normalised value or field errors.
"""
from __future__ import annotations

import re
from datetime import date

from stdnum.cn import uscc as _uscc
from stdnum.exceptions import ValidationError as _StdnumError

from shared.enums import Gender
from shared.errors import FieldError

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")
# First two digits of a resident ID: provinces, plus 71/81/82/83 (Taiwan, Hong Kong,
# Macao residents and residence permits). The 6-digit county code is deliberately NOT
# checked against a table: people keep their number when counties are renamed (TRAPS.md).
_PROVINCES = frozenset(
    ["11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83"]  # noqa: E501 - data
)
#: The province prefixes a resident ID may start with.
PROVINCE_PREFIXES = _PROVINCES
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
#: Staff usernames: what `UserCreate` accepts and the client checks as you type.
USERNAME_PATTERN = r"^[A-Za-z0-9_.\-]+$"
USERNAME_LENGTH = (2, 40)
_MIN_BIRTH = date(1900, 1, 1)


def id_check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits."""
    return _ID_CHECK[sum(int(d) * w for d, w in zip(body17, _ID_WEIGHTS, strict=False)) % 11]


def could_be_id_number(v: str) -> bool:
    """A normalised value that some stored resident ID could equal: every stored one was
    checked, and its check character is what no later rule changes."""
    return bool(_ID_RE.match(v)) and id_check_char(v[:17]) == v[17]


def could_be_phone(v: str) -> bool:
    """A normalised value that some stored phone could equal (`phone_errors`' rule)."""
    return bool(_MOBILE_RE.match(v))


def could_be_uscc(v: str) -> bool:
    """A normalised value that some stored credit code could equal (its check character)."""
    return len(v) == 18 and bool(_uscc.is_valid(v))


def normalise_id_number(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def id_number_errors(value: str, *, today: date | None = None, field: str = "id_number") -> list[FieldError]:
    """Format, province, birth date and check character of an 18-character resident ID."""
    v = normalise_id_number(value)
    if not v:
        return [FieldError(field, "field.required", "Resident ID number is required")]
    if not _ID_RE.match(v):
        return [FieldError(field, "customer.id_number.format",
                           "A resident ID number has 17 digits followed by a digit or X", {"length": len(v)})]
    if v[:2] not in _PROVINCES:
        return [FieldError(field, "customer.id_number.region",
                           "The first two digits are not a province code", {"prefix": v[:2]})]
    born = id_birth_date(v)
    if born is None or born < _MIN_BIRTH or born > (today or date.today()):
        return [FieldError(field, "customer.id_number.birth_date",
                           "Digits 7-14 are not a possible birth date", {"digits": v[6:14]})]
    if id_check_char(v[:17]) != v[17]:
        return [FieldError(field, "customer.id_number.checksum",
                           "The check character does not match the other digits")]
    return []


def id_birth_date(v: str) -> date | None:
    try:
        return date(int(v[6:10]), int(v[10:12]), int(v[12:14]))
    except ValueError:
        return None


def id_gender(v: str) -> Gender:
    """The 17th digit is odd for men, even for women."""
    return Gender.MALE if int(v[16]) % 2 else Gender.FEMALE


def id_consistency_errors(id_number: str, gender: str | None, birth_date: date | None) -> list[FieldError]:
    """Gender and birth date must agree with a (valid) resident ID."""
    v = normalise_id_number(id_number)
    errors = []
    if gender is not None and str(gender) != id_gender(v):
        errors.append(FieldError("gender", "customer.gender.mismatch_id",
                                 "Gender does not agree with the resident ID number",
                                 {"expected": str(id_gender(v))}))
    born = id_birth_date(v)
    if birth_date is not None and born is not None and birth_date != born:
        errors.append(FieldError("birth_date", "customer.birth_date.mismatch_id",
                                 "Date of birth does not agree with the resident ID number",
                                 {"expected": born.isoformat()}))
    return errors


def normalise_phone(value: str) -> str:
    v = re.sub(r"[\s\-()]", "", value or "")
    if v.startswith("+86"):
        v = v[3:]
    elif v.startswith("0086"):
        v = v[4:]
    return v


def phone_errors(value: str, field: str = "phone") -> list[FieldError]:
    """A mainland mobile number: 11 digits starting 13-19."""
    if not _MOBILE_RE.match(normalise_phone(value)):
        return [FieldError(field, "customer.phone.format",
                           "A mainland mobile number has 11 digits and starts with 13-19")]
    return []


def normalise_uscc(value: str) -> str:
    return re.sub(r"\s+", "", value or "").upper()


def uscc_errors(value: str, field: str = "uscc") -> list[FieldError]:
    """Unified social credit code (GB 32100-2015): 18 characters with a check character."""
    v = normalise_uscc(value)
    if not v:
        return [FieldError(field, "field.required", "Unified social credit code is required")]
    try:
        _uscc.validate(v)
    except _StdnumError as exc:
        code = "customer.uscc.checksum" if "checksum" in type(exc).__name__.lower() else "customer.uscc.format"
        return [FieldError(field, code, "Not a valid unified social credit code")]
    return []


def length_errors(field: str, value: str | None, *, max_len: int, min_len: int = 0) -> list[FieldError]:
    if value is None:
        return []
    if len(value.strip()) < min_len:
        code = "field.required" if min_len == 1 else "field.too_short"
        return [FieldError(field, code, f"At least {min_len} characters", {"min": min_len})]
    if len(value) > max_len:
        return [FieldError(field, "field.too_long", f"At most {max_len} characters", {"max": max_len})]
    return []
