"""The parameter registry (shared/parameters.py): defaults from the domain docs, strict
value models, errors located at the field."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from shared import parameters as P

# household-finance.md, "Ratios and reference ranges", in the order of its codes list
DOC_RATIO_RANGES = [
    {"code": "savings_ratio", "min": "0.3000", "max": None},  # >= 30 %
    {"code": "investment_to_net_worth", "min": "0.5000", "max": None},  # >= 50 %
    {"code": "solvency", "min": "0.5000", "max": None},  # >= 50 %
    {"code": "debt_ratio", "min": None, "max": "0.5000"},  # <= 50 %
    {"code": "liquid_to_debt", "min": "0.7000", "max": None},  # >= 70 %
    {"code": "debt_service", "min": None, "max": "0.4000"},  # <= 40 %
    {"code": "emergency_fund", "min": "3.0000", "max": "6.0000"},  # 3 - 6 months
]


def errors(model, data):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as exc:
        model.model_validate(data)
    return [(e["loc"], e["type"]) for e in exc.value.errors()]


def ranges_with(index: int, **change):  # type: ignore[no-untyped-def]
    rows = [dict(r) for r in DOC_RATIO_RANGES]
    rows[index].update(change)
    return {"ranges": rows}


def test_exactly_the_parameters_the_domain_docs_give_defaults_for():
    assert set(P.PARAMETERS) == {"ratio-ranges", "reassignment-threshold", "sla-hours", "risk-rules",
                                 "import-limits"}
    for name, spec in P.PARAMETERS.items():
        assert spec.name == name and isinstance(spec.default, spec.model)
        assert spec.description and "\n" not in spec.description
        # the default survives its own JSON form
        assert spec.model.model_validate(spec.default.model_dump(mode="json")) == spec.default


def test_ratio_range_defaults_are_household_finance_md():
    assert P.PARAMETERS["ratio-ranges"].default.model_dump(mode="json") == {"ranges": DOC_RATIO_RANGES}


def test_reassignment_threshold_default_is_50_and_0_is_allowed():
    assert P.PARAMETERS["reassignment-threshold"].default.model_dump() == {"max_customers": 50}
    assert P.ReassignmentThreshold.model_validate({"max_customers": 0}).max_customers == 0
    assert errors(P.ReassignmentThreshold, {"max_customers": -1}) == [(("max_customers",), "greater_than_equal")]


def test_import_limits_default_is_one_percent_and_stays_within_zero_and_one():
    assert P.PARAMETERS["import-limits"].default.model_dump() == {"max_reject_ratio": "0.0100"}
    assert P.ImportLimits.model_validate({"max_reject_ratio": "0"}).max_reject_ratio == "0.0000"
    assert P.ImportLimits.model_validate({"max_reject_ratio": "1"}).max_reject_ratio == "1.0000"
    for bad in ("1.0001", "-0.01", 0.01, "0.00001"):
        assert errors(P.ImportLimits, {"max_reject_ratio": bad})[0][0] == ("max_reject_ratio",)


@pytest.mark.parametrize("value", [True, 50.0, "50", None])
def test_reassignment_threshold_takes_only_a_json_integer(value):
    assert errors(P.ReassignmentThreshold, {"max_customers": value})[0][0] == ("max_customers",)


def test_sla_defaults_are_service_md():
    sla = P.PARAMETERS["sla-hours"].default
    for priority in ("normal", "urgent"):  # the doc gives one target per type
        assert sla.hours_for("consultation", priority) == 1
        assert sla.hours_for("complaint", priority) == 24
        assert sla.hours_for("suggestion", priority) == 3 * 24


def test_risk_rule_defaults_are_risk_and_import_md():
    assert P.PARAMETERS["risk-rules"].default.model_dump(mode="json") == {
        "acknowledge_within_hours": 24,
        "overdue": {"enabled": True, "min_days_overdue": 1, "medium_from_days": 30, "high_from_days": 90},
        "fund_movement": {"enabled": True, "single_debit_min": "500000.00", "daily_debits_multiple": "5.0000",
                          "average_over_days": 90, "daily_debits_min": "50000.00"},
        "debt_ratio": {"enabled": True, "above": "0.7000"},
        "rating_downgrade": {"enabled": True},
        "dormant": {"enabled": True, "days_without_transaction": 180, "min_financial_assets": "50000.00"},
    }


# ----------------------------------------------------------------------------- ratio-ranges rules
def test_bounds_are_normalised_to_four_decimals_and_kept_in_code_order():
    data = ranges_with(0, min="0.3", max="1")
    data["ranges"].reverse()
    value = P.RatioRanges.model_validate(data)
    assert [r.code for r in value.ranges] == [r["code"] for r in DOC_RATIO_RANGES]
    assert value.range_for("savings_ratio").model_dump(mode="json") == {"code": "savings_ratio", "min": "0.3000",
                                                                        "max": "1.0000"}
    assert P.RatioRanges.model_validate(ranges_with(3, min="-0")).range_for("debt_ratio").min == "0.0000"


def test_min_equal_to_max_is_a_range():
    assert P.RatioRanges.model_validate(ranges_with(6, min="4", max="4")).range_for("emergency_fund").max == "4.0000"


def test_min_above_max_is_refused_at_the_min():
    assert errors(P.RatioRanges, ranges_with(6, min="6.5", max="6")) == [(("ranges", 6, "min"), P.MIN_ABOVE_MAX)]


def test_unknown_duplicate_and_missing_codes_are_refused():
    assert errors(P.RatioRanges, ranges_with(2, code="happiness")) == [(("ranges", 2, "code"), "enum")]
    assert errors(P.RatioRanges, ranges_with(2, code="savings_ratio")) == [
        (("ranges", 2, "code"), P.DUPLICATE_CODE), (("ranges",), P.MISSING_CODE)]
    short = {"ranges": DOC_RATIO_RANGES[:-1]}
    assert errors(P.RatioRanges, short) == [(("ranges",), P.MISSING_CODE)]


@pytest.mark.parametrize("bound, code", [
    (0.3, "field.invalid_decimal"),  # a JSON number, not a decimal string
    (True, "field.invalid_decimal"),
    (1, "field.invalid_decimal"),
    ("0.30001", "field.too_many_decimals"),
    ("1e-1", "field.invalid_decimal"),
    ("NaN", "field.invalid_decimal"),
    ("Infinity", "field.invalid_decimal"),
    (" 0.3", "field.invalid_decimal"),
    ("+0.3", "field.invalid_decimal"),
    ("", "field.invalid_decimal"),
    ("1000000", "field.out_of_range"),
])
def test_bad_bounds_are_refused_naming_the_field(bound, code):
    assert errors(P.RatioRanges, ranges_with(3, min=bound, max=None)) == [(("ranges", 3, "min"), code)]


def test_a_range_needs_both_keys_and_nothing_else():
    rows = [dict(r) for r in DOC_RATIO_RANGES]
    del rows[1]["max"]
    rows[2]["note"] = "x"
    assert errors(P.RatioRanges, {"ranges": rows}) == [(("ranges", 1, "max"), "missing"),
                                                       (("ranges", 2, "note"), "extra_forbidden")]
    assert errors(P.RatioRanges, {"ranges": DOC_RATIO_RANGES, "version": 3}) == [(("version",), "extra_forbidden")]


# ----------------------------------------------------------------------------- sla-hours, risk-rules rules
def test_sla_targets_each_type_and_priority_once():
    targets = P.PARAMETERS["sla-hours"].default.model_dump(mode="json")["targets"]
    assert errors(P.SlaHours, {"targets": targets[:-1]}) == [(("targets",), P.MISSING_TARGET)]
    assert errors(P.SlaHours, {"targets": [*targets, targets[0]]}) == [(("targets", 6, "priority"),
                                                                        P.DUPLICATE_TARGET)]
    assert errors(P.SlaHours, {"targets": [{**targets[0], "hours": 0}, *targets[1:]]}) == [
        (("targets", 0, "hours"), "greater_than_equal")]
    assert errors(P.SlaHours, {"targets": [{**targets[0], "hours": 1.5}, *targets[1:]]}) == [
        (("targets", 0, "hours"), "int_type")]


def test_risk_rule_thresholds_and_types():
    rules = P.PARAMETERS["risk-rules"].default.model_dump(mode="json")
    assert errors(P.RiskRules, {**rules, "overdue": {**rules["overdue"], "high_from_days": 20}}) == [
        (("overdue", "high_from_days"), P.THRESHOLDS_ORDER)]
    assert errors(P.RiskRules, {**rules, "dormant": {**rules["dormant"], "min_financial_assets": "-1"}}) == [
        (("dormant", "min_financial_assets"), "field.out_of_range")]
    assert errors(P.RiskRules, {**rules, "dormant": {**rules["dormant"], "min_financial_assets": "1.234"}}) == [
        (("dormant", "min_financial_assets"), "field.too_many_decimals")]
    assert errors(P.RiskRules, {**rules, "debt_ratio": {**rules["debt_ratio"], "enabled": 1}}) == [
        (("debt_ratio", "enabled"), "bool_type")]
    assert errors(P.RiskRules, {**rules, "fund_movement": {**rules["fund_movement"],
                                                           "single_debit_min": 500000}}) == [
        (("fund_movement", "single_debit_min"), "field.invalid_decimal")]
    ok = P.RiskRules.model_validate({**rules, "debt_ratio": {"enabled": False, "above": "0.8"}})
    assert ok.debt_ratio.above == "0.8000" and ok.debt_ratio.enabled is False


def test_values_are_immutable():
    value = P.PARAMETERS["reassignment-threshold"].default
    with pytest.raises(ValidationError):
        value.max_customers = 1  # type: ignore[misc]


def test_the_registry_is_pure_pydantic():
    probe = ("import sys, shared.parameters; "
             "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'PySide6', 'fastapi', 'server')]; "
             "assert not bad, bad")
    root = Path(P.__file__).resolve().parents[1]
    subprocess.run([sys.executable, "-c", probe], check=True, cwd=root, env={**os.environ, "PYTHONPATH": str(root)})
