"""System parameters head-office admins change at run time: a typed registry.

Each parameter has a kebab-case name (the last segment of `/api/v1/parameters/{name}`),
a pydantic model of its value, its built-in default (version 1, taken from the domain
docs) and a one-line description. The server keeps every change as a new version
(`server/services/parameters.py`); a reader asks for the version in force and names
the version it used.

Value models forbid unknown fields and take strict types: JSON `true` is not 1 and a
number is not a decimal string. Money and ratios travel as decimal strings (CONTRACT.md,
Data), normalised to 2 and 4 places. Rules that span fields (min <= max, each code
exactly once) raise errors located at the offending field (`ranges[3].min`), so a
client can show them where they belong. Pure pydantic: no SQL, no I/O.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Generic, NoReturn, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema, InitErrorDetails, PydanticCustomError, core_schema

from shared import errors as codes
from shared.enums import RatioCode, TicketPriority, TicketType

# Names, for readers: `parameters.current(db, RATIO_RANGES)`.
RATIO_RANGES = "ratio-ranges"
REASSIGNMENT_THRESHOLD = "reassignment-threshold"
SLA_HOURS = "sla-hours"
RISK_RULES = "risk-rules"
IMPORT_LIMITS = "import-limits"

# Error codes of rules that span fields (generic field codes are in shared.errors).
MIN_ABOVE_MAX = "parameter.ratio_ranges.min_above_max"
DUPLICATE_CODE = "parameter.ratio_ranges.duplicate_code"
MISSING_CODE = "parameter.ratio_ranges.missing_code"
DUPLICATE_TARGET = "parameter.sla_hours.duplicate_target"
MISSING_TARGET = "parameter.sla_hours.missing_target"
THRESHOLDS_ORDER = "parameter.risk_rules.thresholds_order"


# ----------------------------------------------------------------------------- decimal strings
_DECIMAL = re.compile(r"-?[0-9]{1,20}(\.[0-9]{1,20})?")


@dataclass(frozen=True)
class DecimalString:
    """`Annotated[str, DecimalString(...)]`: a JSON string holding a plain decimal
    (`-1500.5`: no exponent, sign only `-`, no spaces) with at most `places` decimals
    within [minimum, maximum], normalised to exactly `places`. A JSON number is refused:
    0.3 has lost its exact value before anyone can check it."""

    places: int
    minimum: str
    maximum: str
    example: str

    def validate(self, value: Any) -> str:
        if not isinstance(value, str) or not _DECIMAL.fullmatch(value):
            raise PydanticCustomError(codes.FIELD_DECIMAL, "A decimal string such as {example}",
                                      {"example": self.example})
        d = Decimal(value)
        if -int(d.as_tuple().exponent) > self.places:
            raise PydanticCustomError(codes.FIELD_DECIMAL_PLACES, "At most {places} decimal places",
                                      {"places": self.places})
        if not Decimal(self.minimum) <= d <= Decimal(self.maximum):
            raise PydanticCustomError(codes.FIELD_OUT_OF_RANGE, "Must be between {min} and {max}",
                                      {"min": self.minimum, "max": self.maximum})
        return format(d.quantize(Decimal(1).scaleb(-self.places)) + 0, "f")  # + 0: no "-0.0000"

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(self.validate)

    def __get_pydantic_json_schema__(self, schema: CoreSchema, handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return {"type": "string", "pattern": rf"^-?[0-9]+(\.[0-9]{{1,{self.places}}})?$", "examples": [self.example]}


#: CNY with two decimals, the contract's range for amounts.
#: The largest amount of money the product takes (CONTRACT.md, Household finance).
MONEY_MAX = "999999999999.99"
Money = Annotated[str, DecimalString(2, "0", MONEY_MAX, "50000.00")]
#: A fraction (0.4909 is 49.09 %) or, for the emergency fund, months; 4 decimals.
Ratio = Annotated[str, DecimalString(4, "-999999.9999", "999999.9999", "0.3000")]
NonNegativeRatio = Annotated[str, DecimalString(4, "0", "999999.9999", "0.7000")]
#: "at least N times": below 1 would call an ordinary day abnormal.
Multiple = Annotated[str, DecimalString(4, "1", "999999.9999", "5.0000")]
#: A share of a whole: 0.0100 is 1 %.
Fraction = Annotated[str, DecimalString(4, "0", "1", "0.0100")]
Days = Annotated[StrictInt, Field(ge=1, le=36500)]
Hours = Annotated[StrictInt, Field(ge=1, le=8760)]


def fail_at(title: str, problems: list[tuple[tuple[str | int, ...], str, str, dict[str, Any], Any]]) -> NoReturn:
    """Raise errors at explicit locations (relative to the validated model or field);
    pydantic prefixes the outer path, so they arrive as `ranges[3].min`."""
    raise ValidationError.from_exception_data(title, [
        InitErrorDetails(type=PydanticCustomError(code, message, params), loc=loc, input=value)
        for loc, code, message, params, value in problems])


_fail = fail_at


class ParameterValue(BaseModel):
    """Base of every parameter's value: no unknown fields, immutable once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


# ----------------------------------------------------------------------------- ratio-ranges
class RatioRange(ParameterValue):
    """Healthy when min <= value <= max (both ends inclusive); null = open on that side."""

    code: RatioCode
    min: Ratio | None
    max: Ratio | None

    @model_validator(mode="after")
    def _min_not_above_max(self) -> RatioRange:
        if self.min is not None and self.max is not None and Decimal(self.min) > Decimal(self.max):
            _fail("RatioRange", [(("min",), MIN_ABOVE_MAX, "The lower bound {min} is above the upper bound {max}",
                                  {"min": self.min, "max": self.max}, self.min)])
        return self


class RatioRanges(ParameterValue):
    """The reference range of each household financial ratio (household-finance.md)."""

    ranges: tuple[RatioRange, ...]

    @field_validator("ranges")
    @classmethod
    def _each_code_once(cls, ranges: tuple[RatioRange, ...]) -> tuple[RatioRange, ...]:
        problems: list[tuple[tuple[str | int, ...], str, str, dict[str, Any], Any]] = []
        seen: set[RatioCode] = set()
        for i, r in enumerate(ranges):
            if r.code in seen:
                problems.append(((i, "code"), DUPLICATE_CODE, "{code} has a range already", {"code": str(r.code)},
                                 str(r.code)))
            seen.add(r.code)
        problems += [((), MISSING_CODE, "No range for {code}", {"code": str(c)}, None) for c in RatioCode
                     if c not in seen]
        if problems:
            _fail("RatioRanges", problems)
        order = list(RatioCode)
        return tuple(sorted(ranges, key=lambda r: order.index(r.code)))

    def range_for(self, code: RatioCode | str) -> RatioRange:
        return next(r for r in self.ranges if r.code == code)


# ----------------------------------------------------------------------------- reassignment-threshold
class ReassignmentThreshold(ParameterValue):
    """A branch manager reassigns up to this many customers within their subtree without
    approval; more (or across branches) needs a checker. 0: every reassignment does."""

    max_customers: Annotated[StrictInt, Field(ge=0, le=10_000_000)]


# ----------------------------------------------------------------------------- sla-hours
class SlaTarget(ParameterValue):
    type: TicketType
    priority: TicketPriority
    hours: Hours


class SlaHours(ParameterValue):
    """Service-level targets per ticket type and priority (service.md). What the clock
    measures is fixed by the type: a consultation's first response, a complaint's
    resolution, a suggestion's acknowledgement (its first response)."""

    targets: tuple[SlaTarget, ...]

    @field_validator("targets")
    @classmethod
    def _each_pair_once(cls, targets: tuple[SlaTarget, ...]) -> tuple[SlaTarget, ...]:
        problems: list[tuple[tuple[str | int, ...], str, str, dict[str, Any], Any]] = []
        seen: set[tuple[TicketType, TicketPriority]] = set()
        for i, t in enumerate(targets):
            if (t.type, t.priority) in seen:
                problems.append(((i, "priority"), DUPLICATE_TARGET, "{type} / {priority} has a target already",
                                 {"type": str(t.type), "priority": str(t.priority)}, str(t.priority)))
            seen.add((t.type, t.priority))
        problems += [((), MISSING_TARGET, "No target for {type} / {priority}", {"type": str(k), "priority": str(p)},
                      None) for k in TicketType for p in TicketPriority if (k, p) not in seen]
        if problems:
            _fail("SlaHours", problems)
        types, priorities = list(TicketType), list(TicketPriority)
        return tuple(sorted(targets, key=lambda t: (types.index(t.type), priorities.index(t.priority))))

    def hours_for(self, type: TicketType | str, priority: TicketPriority | str) -> int:
        return next(t.hours for t in self.targets if t.type == type and t.priority == priority)


# ----------------------------------------------------------------------------- risk-rules
class OverdueRule(ParameterValue):
    """A loan or card account overdue at least `min_days_overdue` days raises a warning;
    its severity is low, medium from `medium_from_days`, high from `high_from_days`."""

    enabled: StrictBool
    min_days_overdue: Days
    medium_from_days: Days
    high_from_days: Days

    @model_validator(mode="after")
    def _rising(self) -> OverdueRule:
        problems: list[tuple[tuple[str | int, ...], str, str, dict[str, Any], Any]] = []
        if self.medium_from_days < self.min_days_overdue:
            problems.append((("medium_from_days",), THRESHOLDS_ORDER, "Must be at least min_days_overdue ({min})",
                             {"min": self.min_days_overdue}, self.medium_from_days))
        if self.high_from_days < self.medium_from_days:
            problems.append((("high_from_days",), THRESHOLDS_ORDER, "Must be at least medium_from_days ({min})",
                             {"min": self.medium_from_days}, self.high_from_days))
        if problems:
            _fail("OverdueRule", problems)
        return self


class FundMovementRule(ParameterValue):
    """One debit of at least `single_debit_min`, or a day's debits of at least
    `daily_debits_multiple` times the customer's average daily debits over the previous
    `average_over_days` days and at least `daily_debits_min`."""

    enabled: StrictBool
    single_debit_min: Money
    daily_debits_multiple: Multiple
    average_over_days: Days
    daily_debits_min: Money


class DebtRatioRule(ParameterValue):
    """The household debt ratio of the latest balance sheet is above `above` (strictly)."""

    enabled: StrictBool
    above: NonNegativeRatio


class RatingDowngradeRule(ParameterValue):
    """Any downgrade of the service tier or the credit grade."""

    enabled: StrictBool


class DormantRule(ParameterValue):
    """No transaction for `days_without_transaction` days on a customer with financial
    assets of at least `min_financial_assets`."""

    enabled: StrictBool
    days_without_transaction: Days
    min_financial_assets: Money


class RiskRules(ParameterValue):
    """The risk-warning rules of risk-and-import.md; keys are the contract's rule codes."""

    acknowledge_within_hours: Hours
    overdue: OverdueRule
    fund_movement: FundMovementRule
    debt_ratio: DebtRatioRule
    rating_downgrade: RatingDowngradeRule
    dormant: DormantRule


# ----------------------------------------------------------------------------- import-limits
class ImportLimits(ParameterValue):
    """A core-banking import batch fails, and nothing of it is applied, when more than
    `max_reject_ratio` of its rows are rejected (risk-and-import.md: default 1 %); 0: any
    rejected row fails the batch."""

    max_reject_ratio: Fraction


# ----------------------------------------------------------------------------- the registry
V = TypeVar("V", bound=ParameterValue)


@dataclass(frozen=True)
class ParameterSpec(Generic[V]):
    name: str
    model: type[V]
    default: V
    description: str


def _spec(name: str, model: type[V], default: dict[str, Any], description: str) -> ParameterSpec[V]:
    return ParameterSpec(name, model, model.model_validate(default), description)


PARAMETERS: dict[str, ParameterSpec[Any]] = {s.name: s for s in (
    _spec(RATIO_RANGES, RatioRanges, {"ranges": [
        {"code": "savings_ratio", "min": "0.3000", "max": None},
        {"code": "investment_to_net_worth", "min": "0.5000", "max": None},
        {"code": "solvency", "min": "0.5000", "max": None},
        {"code": "debt_ratio", "min": None, "max": "0.5000"},
        {"code": "liquid_to_debt", "min": "0.7000", "max": None},
        {"code": "debt_service", "min": None, "max": "0.4000"},
        {"code": "emergency_fund", "min": "3.0000", "max": "6.0000"},
    ]}, "Reference ranges of the household financial ratios (fractions; emergency fund in months)"),
    _spec(REASSIGNMENT_THRESHOLD, ReassignmentThreshold, {"max_customers": 50},
          "Most customers a branch manager may reassign within their subtree without approval"),
    _spec(SLA_HOURS, SlaHours, {"targets": [
        {"type": t, "priority": p, "hours": hours}
        for t, hours in (("consultation", 1), ("complaint", 24), ("suggestion", 72)) for p in ("normal", "urgent")
    ]}, "Service-level targets in hours: consultation answered, complaint resolved, suggestion acknowledged"),
    _spec(RISK_RULES, RiskRules, {
        "acknowledge_within_hours": 24,
        "overdue": {"enabled": True, "min_days_overdue": 1, "medium_from_days": 30, "high_from_days": 90},
        "fund_movement": {"enabled": True, "single_debit_min": "500000.00", "daily_debits_multiple": "5.0000",
                          "average_over_days": 90, "daily_debits_min": "50000.00"},
        "debt_ratio": {"enabled": True, "above": "0.7000"},
        "rating_downgrade": {"enabled": True},
        "dormant": {"enabled": True, "days_without_transaction": 180, "min_financial_assets": "50000.00"},
    }, "Risk-warning rules and their thresholds; a warning is due for acknowledgement within the hours given"),
    _spec(IMPORT_LIMITS, ImportLimits, {"max_reject_ratio": "0.0100"},
          "Share of rejected rows above which a core-banking import batch fails and nothing of it is applied"),
)}


def get(name: str) -> ParameterSpec[Any] | None:
    """The registered parameter of that name, or None."""
    return PARAMETERS.get(name)
