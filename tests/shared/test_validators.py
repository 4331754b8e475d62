from datetime import date

import pytest

from shared.masking import mask_id_number, mask_phone
from shared.passwords import password_errors
from shared.validators import (
    id_check_char,
    id_consistency_errors,
    id_number_errors,
    normalise_id_number,
    normalise_phone,
    phone_errors,
    uscc_errors,
)

VALID = "11010519491231002X"  # GB 11643 worked example: check character X


def codes(errs):
    return [e.code for e in errs]


def test_known_valid_id_and_lower_case_x_is_normalised():
    assert id_number_errors(VALID) == []
    assert id_number_errors(VALID.lower()) == []
    assert normalise_id_number(" 11010519491231002x ") == VALID


@pytest.mark.parametrize("value, code", [
    ("110105194912310021", "customer.id_number.checksum"),
    ("11010519491231002", "customer.id_number.format"),
    ("1101051949123100211", "customer.id_number.format"),
    ("11010519491331002X", "customer.id_number.birth_date"),  # month 13
    ("110105190002300000", "customer.id_number.birth_date"),  # 30 February
    ("990105194912310021", "customer.id_number.region"),
    ("A1010519491231002X", "customer.id_number.format"),
    ("", "field.required"),
])
def test_invalid_ids_name_what_is_wrong(value, code):
    assert codes(id_number_errors(value)) == [code]


def test_future_birth_date_refused():
    body = "110105" + "20991231" + "001"
    assert codes(id_number_errors(body + id_check_char(body), today=date(2026, 1, 1))) == \
        ["customer.id_number.birth_date"]


def test_area_code_of_a_renamed_county_is_accepted():
    """TRAPS.md: no county table; 110103 (former Chongwen district) stays valid."""
    body = "110103" + "19600101" + "003"
    assert id_number_errors(body + id_check_char(body)) == []


def test_consistency_of_gender_and_birth_date():
    assert id_consistency_errors(VALID, "female", date(1949, 12, 31)) == []
    errs = id_consistency_errors(VALID, "male", date(1950, 1, 1))
    assert {e.field: e.code for e in errs} == {"gender": "customer.gender.mismatch_id",
                                              "birth_date": "customer.birth_date.mismatch_id"}


@pytest.mark.parametrize("value, ok", [("13912345678", True), ("+86 139-1234-5678", True), ("19912345678", True),
                                       ("12912345678", False), ("1391234567", False), ("139123456789", False),
                                       ("139****5678", False)])
def test_mobile_numbers(value, ok):
    assert (phone_errors(value) == []) is ok
    if ok:
        assert normalise_phone(value) == value.replace("+86 ", "").replace("-", "")


def test_masking():
    assert mask_id_number("110101199003074514") == "110101********4514"
    assert mask_phone("13912345678") == "139****5678"


@pytest.mark.parametrize("pw, code", [("short-pw", "password.too_short"), ("x" * 129, "password.too_long"),
                                      ("password1234", "password.common"), ("aaaaaaaaaaaaaaa", "password.common"),
                                      ("zhangsan.1990", "password.same_as_username")])
def test_password_policy(pw, code):
    assert codes(password_errors(pw, username="zhangsan.1990")) == [code]


def test_long_passphrase_accepted_without_truncation():
    assert password_errors("correct horse battery staple 柜员 " * 3) == []


def test_uscc():
    assert uscc_errors("91110000600037341L") == []
    assert codes(uscc_errors("91110000600037341X")) == ["customer.uscc.checksum"]
    assert codes(uscc_errors("9111")) == ["customer.uscc.format"]
