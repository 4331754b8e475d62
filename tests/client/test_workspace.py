"""The customer workspace (issue 13, "The customer at a glance"; defects 7 and the
corporate, duplicate and error-path items): header card, grouped profile, tabs that
later work plugs in, corporate customers, a duplicate identifier, the one error path."""
from __future__ import annotations

import json
import re

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QGroupBox, QLabel, QLineEdit, QWidget

from client.api.client import ApiError
from client.problems import Kind, problem_of
from client.views import customer_form
from client.views.customer_form import CustomerProfileForm
from tests.client.conftest import WatchedTransport, api_as, controller_for
from tests.client.test_gui import own_customer, type_text

ID_MASK = re.compile(r"^\d{6}\*{8}\d{3}[\dX]$")
MOBILE_MASK = re.compile(r"^1\d{2}\*{4}\d{4}$")
# A valid unified social credit code (GB 32100-2015, check character Q), spelled out here.
USCC = "91350100M000100Y43"


def opened(qtbot, username: str, customer_id: int | None, url: str, transport=None) -> CustomerProfileForm:  # type: ignore[no-untyped-def]
    form = CustomerProfileForm(controller_for(url, username, transport), customer_id)
    qtbot.addWidget(form)
    form.resize(1366, 768)
    form.show()
    if customer_id is not None:
        qtbot.waitUntil(lambda: form.version is not None, timeout=10000)
    return form


def test_the_header_card_says_who_the_customer_is_masked_even_for_a_full_reader(qtbot, live):
    cid = own_customer(live.url)
    full = api_as(live.url, "manager").customer(cid)
    assert full.id_number and "*" not in full.id_number  # the manager may see it whole…
    form = opened(qtbot, "manager", cid, live.url)
    h = form.header
    assert h.title.text() == "张三丰"
    assert h.badges["type"].text() == "Personal"
    facts = {k: v.text() for k, v in h.facts.items()}
    assert facts["customer_no"] == full.customer_no
    assert ID_MASK.match(facts["identifier"]) and facts["identifier"][-4:] == full.id_number[-4:]  # …not here
    assert MOBILE_MASK.match(facts["phone"])
    assert facts["age"] == str(full.age)
    assert facts["org"] == form.controller.org_names[full.org_id]
    assert facts["manager"] == "刘晓燕"  # the account manager by name
    assert form.inputs["id_number"].text() == full.id_number  # the profile field shows what the role may see


def test_a_teller_sees_the_account_manager_by_name_in_the_header(qtbot, live):
    form = opened(qtbot, "teller", own_customer(live.url), live.url)
    assert form.header.facts["manager"].text() == "刘晓燕"
    assert not form.inputs["manager_id"].isVisibleTo(form)  # the picker is for who may list staff


def test_the_profile_is_grouped_in_two_columns(qtbot, live):
    form = opened(qtbot, "manager", own_customer(live.url), live.url)
    boxes = form.findChildren(QGroupBox)
    assert [b.title() for b in boxes] == ["Identity", "Contact", "Work and income", "Allocation"]
    x = {b.title(): b.mapTo(form, b.rect().topLeft()).x() for b in boxes}
    assert x["Identity"] == x["Contact"] < x["Work and income"] == x["Allocation"]
    for f, group in (("id_number", "Identity"), ("phone", "Contact"), ("employer", "Work and income"),
                     ("manager_id", "Allocation")):
        assert form.inputs[f].parent() is next(b for b in boxes if b.title() == group)


@pytest.mark.parametrize("size", [(1366, 768), (1920, 1080)])
def test_the_workspace_fits_the_branch_monitors(qtbot, live, size):
    """At 1366x768 (the common branch monitor) and 1920x1080 every field of the profile
    is on screen without scrolling sideways and no input is squeezed."""
    form = opened(qtbot, "president", own_customer(live.url), live.url)
    form.resize(*size)
    qtbot.wait(50)
    for f, w in form.inputs.items():
        if not w.isVisibleTo(form):
            continue
        assert w.width() >= 150, (f, w.width())
        right = w.mapTo(form, w.rect().topRight()).x()
        assert right <= form.width(), (f, right)


def test_a_required_mark_goes_once_the_field_is_filled(qtbot, live):
    form = opened(qtbot, "manager", None, live.url)
    assert form.captions["name"].text().endswith("*</span>")
    name = form.inputs["name"]
    name.setFocus()
    type_text(name, "李四")
    form._field_changed("name")  # what textEdited does for typed text
    assert "*" not in form.captions["name"].text()
    assert form.captions["id_number"].text().endswith("*</span>")  # still empty: still marked
    assert "*" not in form.captions["address"].text()  # never required


def test_later_work_plugs_a_tab_into_the_workspace_without_touching_the_others(qtbot, live, monkeypatch):
    page = QWidget()
    monkeypatch.setattr(customer_form, "WORKSPACE_TABS",
                        [*customer_form.WORKSPACE_TABS, lambda form: ("Accounts", page)])
    form = opened(qtbot, "manager", own_customer(live.url), live.url)
    assert [form.tabs.tabText(i) for i in range(form.tabs.count())] == ["Profile", "Finances", "History", "Accounts"]
    new = opened(qtbot, "manager", None, live.url)
    assert new.tabs.count() == 1  # a customer not yet saved has no history, finances or accounts


# ----------------------------------------------------------------------------- corporate customers
def test_a_new_corporate_customer_has_a_credit_code_checked_as_typed(qtbot, live):
    form = opened(qtbot, "manager", None, live.url)
    kind = form.inputs["type"]
    assert isinstance(kind, QComboBox) and kind.isEnabled()
    kind.setCurrentIndex(kind.findData("corporate"))
    for f in ("gender", "birth_date", "id_number", "education"):
        assert not form.inputs[f].isVisibleTo(form), f
    uscc = form.inputs["uscc"]
    assert isinstance(uscc, QLineEdit) and uscc.isVisibleTo(form)
    assert form.captions["name"].text().startswith("Company name")
    uscc.setText(USCC[:-1] + ("0" if USCC[-1] != "0" else "1"))
    form._field_changed("uscc")
    assert form.errors["uscc"].isVisible() and "Check character" in form.errors["uscc"].text()
    uscc.setText(USCC.lower())
    form._field_changed("uscc")
    assert not form.errors["uscc"].isVisible() and uscc.text() == USCC  # normalised as stored
    form.inputs["name"].setText("杭州测试科技有限公司")  # type: ignore[attr-defined]
    assert set(form.values()) == {"type", "name", "uscc", "phone", "address", "lifecycle_stage", "org_id",
                                  "manager_id"}
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    saved = api_as(live.url, "manager").customer(form.customer_id)  # type: ignore[arg-type]
    assert saved.type == "corporate" and saved.uscc == USCC and saved.gender is None
    assert form.header.badges["type"].text() == "Corporate"
    assert form.header.facts["identifier"].text() == USCC
    assert not form.inputs["type"].isEnabled()  # chosen once


# ----------------------------------------------------------------------------- a duplicate identifier
def _new_with_id(qtbot, username: str, id_number: str, url: str) -> CustomerProfileForm:  # type: ignore[no-untyped-def]
    form = opened(qtbot, username, None, url)
    form.inputs["name"].setText("重复者")  # type: ignore[attr-defined]
    form.inputs["id_number"].setText(id_number)  # type: ignore[attr-defined]
    form._field_changed("id_number")
    form.save()
    qtbot.waitUntil(lambda: form.save_button.isEnabled() and form.status.text() != "Saving...", timeout=10000)
    return form


def test_a_duplicate_resident_id_in_scope_offers_to_open_the_existing_customer(qtbot, live):
    cid = own_customer(live.url)
    full = api_as(live.url, "manager").customer(cid).id_number
    assert full
    form = _new_with_id(qtbot, "manager", full, live.url)
    assert "already exists" in form.errors["id_number"].text()
    qtbot.waitUntil(form.open_existing_button.isVisible, timeout=10000)
    assert "张三丰" in form.open_existing_button.text()
    with qtbot.waitSignal(form.open_existing, timeout=5000) as opened_signal:
        qtbot.mouseClick(form.open_existing_button, Qt.MouseButton.LeftButton)
    assert opened_signal.args == [cid]


def test_a_duplicate_resident_id_out_of_scope_says_nothing_more(qtbot, live):
    full = api_as(live.url, "manager").customer(own_customer(live.url)).id_number
    assert full
    form = _new_with_id(qtbot, "cx_manager1", full, live.url)  # another branch's
    assert "already exists" in form.errors["id_number"].text()
    qtbot.wait(500)  # the look-up has had its time
    assert not form.open_existing_button.isVisible()
    assert "张三丰" not in form.status.text() + form.open_existing_button.text()


# ----------------------------------------------------------------------------- the one error path
def err(status: int, code: str, **body) -> ApiError:  # type: ignore[no-untyped-def]
    fields = {e["field"]: e["code"] for e in body.get("errors", [])}
    return ApiError(status, code, "", "", fields, body)


@pytest.mark.parametrize("answer, kind, same_key", [
    (err(401, "auth.required"), Kind.SESSION_ENDED, True),
    (err(403, "permission.field_denied", fields=["name"]), Kind.REFUSED, False),
    (err(404, "resource.not_found"), Kind.NOT_FOUND, False),
    (err(409, "resource.version_conflict", current={"id": 1}), Kind.CONFLICT, False),
    (err(409, "customer.id_number.duplicate"), Kind.INVALID, False),
    (err(422, "validation.failed", errors=[{"field": "phone", "code": "customer.phone.format"}]), Kind.INVALID,
     False),
    (err(429, "auth.throttled", retry_after=7), Kind.WAIT, True),
    (ApiError(503, "server.unavailable", retry_after=5), Kind.WAIT, True),
    (ApiError(500, "server.internal_error"), Kind.UNAVAILABLE, True),
    (ApiError(0, "network.unreachable"), Kind.UNAVAILABLE, True),
    (ApiError(0, "export.write_failed"), Kind.FAILED, False),
])
def test_every_answer_has_one_meaning_for_the_screens(answer, kind, same_key):
    p = problem_of(answer, shown={"name", "phone", "id_number"})
    assert (p.kind, p.same_key) == (kind, same_key)
    assert p.message and "." not in p.message.split()[0]  # words, not a code


def test_a_validation_error_goes_on_its_field_and_the_rest_is_listed():
    p = problem_of(err(422, "validation.failed", errors=[{"field": "phone", "code": "customer.phone.format"},
                                                         {"field": "lines[3].amount", "code": "field.invalid"}]),
                   shown={"phone"})
    assert p.fields == {"phone": "A mobile number has 11 digits starting 13-19"}
    assert p.unmapped == ["lines[3].amount: Not valid"]
    assert p.message == "Please correct the marked fields lines[3].amount: Not valid"
    refused = problem_of(err(403, "permission.field_denied", fields=["name", "org_id"]), shown={"name"})
    assert refused.message == "Your role may not change: Name, Branch"
    assert refused.fields == {"name": "Your role may not change this field"}
    assert problem_of(err(429, "auth.throttled", retry_after=12)).message.endswith("(try again in 12 s)")


class TooManyRequests(WatchedTransport):
    """The server asks for a wait once (429, Retry-After: 2), then answers again."""

    def __init__(self) -> None:
        super().__init__()
        self.refusals = 1

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.method == "PATCH" and self.refusals:
            self.refusals -= 1
            self.requests.append(request)
            body = {"type": "about:blank", "title": "Too many requests", "status": 429, "code": "rate.limited"}
            return httpx.Response(429, headers={"Retry-After": "2", "content-type": "application/problem+json"},
                                  content=json.dumps(body).encode())
        return super().handle_request(request)


def test_a_wait_asked_for_is_counted_down_and_the_same_save_goes_again(qtbot, live):
    transport = TooManyRequests()
    form = opened(qtbot, "manager", own_customer(live.url), live.url, transport)
    occupation = form.inputs["occupation"]
    assert isinstance(occupation, QLineEdit)
    before = occupation.text()
    occupation.setText(before + "甲")
    form.save()
    qtbot.waitUntil(lambda: "try again in" in form.status.text(), timeout=10000)
    assert not form.save_button.isEnabled()
    assert occupation.text() == before + "甲"  # input kept
    qtbot.waitUntil(form.save_button.isEnabled, timeout=5000)
    form.save()
    qtbot.waitUntil(lambda: form.status.text() == "Saved", timeout=10000)
    keys = [r.headers["Idempotency-Key"] for r in transport.sent("PATCH", f"/api/v1/customers/{form.customer_id}")]
    assert len(keys) == 2 and keys[0] == keys[1]  # the same request, the same key
    api = api_as(live.url, "manager")
    c = api.customer(form.customer_id)  # type: ignore[arg-type]
    api.update_customer(c.id, c.version, {"occupation": before or None}, None)


def test_every_caption_of_the_profile_is_a_label_of_its_input(qtbot, live):
    """Alt+letter and screen readers: each caption is the buddy of its field."""
    form = opened(qtbot, "manager", None, live.url)
    for f, caption in form.captions.items():
        assert isinstance(caption, QLabel) and caption.buddy() is form.inputs[f], f


def test_a_fields_error_reads_in_the_error_colour(qtbot, live):
    form = opened(qtbot, "manager", None, live.url)
    form.show_error("name", "field.required")
    err = form.errors["name"]
    assert err.isVisible() and err.text()
    assert err.palette().color(err.foregroundRole()).name() == "#b00020"
