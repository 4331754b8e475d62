"""The audit trail in the reader's language: what each action, outcome, object and
detail the server writes (server/services/audit.py) means, as words rather than codes.

`ACTIONS` names every action the server records: the events it writes itself and, for a
refusal, the permission that was refused (shared.permissions.Action).
tests/client/test_audit_words.py reads the server's source for every action it can
write and fails on one that is missing here.
"""
from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from client.i18n import enum_labels, error_message, field_labels, label, tr
from shared.schemas import AuditEntry

Words = dict[str, Callable[[], str]]

#: action code -> its words (called late: they follow the language)
ACTIONS: Words = {
    # events
    "auth.login": lambda: tr("Log in"),
    "auth.logout": lambda: tr("Log out"),
    "auth.password_change": lambda: tr("Change own password"),
    "auth.totp": lambda: tr("Log in: second-factor code"),
    "auth.recovery_code_used": lambda: tr("Use a recovery code"),
    "auth.mfa_enrolment_started": lambda: tr("Start setting up an authenticator"),
    "auth.mfa_enrolled": lambda: tr("Set up an authenticator"),
    "customer.create": lambda: tr("Create customer"),
    "customer.update": lambda: tr("Change customer"),
    "customer.read_unmasked": lambda: tr("Read customer unmasked"),
    "customer.reassign": lambda: tr("Reassign customer"),
    "customer.delete_request": lambda: tr("Ask to delete customer"),
    "customer.delete": lambda: tr("Delete customer (archived)"),
    "customer.restore": lambda: tr("Bring customer back from the archive"),
    "customer.archive_read": lambda: tr("Search deleted customers"),
    "user.mfa_reset": lambda: tr("Reset user's second factor"),
    "user.create": lambda: tr("Create user"),
    "user.update": lambda: tr("Change user"),
    "user.lock": lambda: tr("Lock user"),
    "user.unlock": lambda: tr("Unlock user"),
    "user.password_reset": lambda: tr("Reset user's password"),
    "user.revoke_sessions": lambda: tr("End user's sessions"),
    "user.grant_privileged": lambda: tr("Grant privileged role"),
    "org.create": lambda: tr("Create organisation"),
    "org.update": lambda: tr("Change organisation"),
    "approval.submit": lambda: tr("Request approval"),
    "approval.approve": lambda: tr("Approve request"),
    "approval.reject": lambda: tr("Reject request"),
    "approval.decide": lambda: tr("Decide request"),
    "parameter.change": lambda: tr("Change system parameter"),
    "import.customers": lambda: tr("Import customers"),
    "customer.export": lambda: tr("Export customer list"),
    "user.export": lambda: tr("Export staff list"),
    "audit.export": lambda: tr("Export audit trail"),
    "approval.export": lambda: tr("Export approvals list"),
    "permission.denied": lambda: tr("Request outside the role's rights"),
    # permissions (what a refusal names)
    "session.self": lambda: tr("Own session"),
    "org.read": lambda: tr("View organisations"),
    "org.manage": lambda: tr("Manage organisations"),
    "org.history": lambda: tr("Organisation history"),
    "user.read": lambda: tr("View staff"),
    "user.assign": lambda: tr("Assign user's role or organisation"),
    "user.reset_password": lambda: tr("Reset user's password"),
    "user.history": lambda: tr("User history"),
    "approval.read": lambda: tr("View approvals"),
    "customer.lookup": lambda: tr("Look up customer"),
    "customer.read_full": lambda: tr("Read customer's full record"),
    "customer.edit_contact": lambda: tr("Change customer's contact details"),
    "customer.edit": lambda: tr("Change customer's profile"),
    "customer.history": lambda: tr("Customer history"),
    "customer.finance_read": lambda: tr("View household finances"),
    "customer.finance_edit": lambda: tr("Change household finances"),
    "household.update": lambda: tr("Change household members"),
    "balance_sheet.create": lambda: tr("Create balance sheet"),
    "balance_sheet.update": lambda: tr("Change balance sheet"),
    "balance_sheet.delete": lambda: tr("Delete balance sheet"),
    "income_statement.create": lambda: tr("Create income table"),
    "income_statement.update": lambda: tr("Change income table"),
    "income_statement.delete": lambda: tr("Delete income table"),
    "audit.read": lambda: tr("Read audit trail"),
    "parameter.read": lambda: tr("View system parameters"),
    "parameter.write": lambda: tr("Change system parameters"),
    "job.read": lambda: tr("View background jobs"),
    "job.cancel": lambda: tr("Cancel a background job"),
    "job.output_read": lambda: tr("Download a background job's files"),
    "customer.statement_print": lambda: tr("Print financial statements"),
    "statement.print": lambda: tr("Print financial statement"),
    "statement.batch": lambda: tr("Print a batch of financial statements"),
}

OUTCOMES: Words = {
    "success": lambda: tr("Succeeded"),
    "failure": lambda: tr("Failed"),
    "denied": lambda: tr("Refused"),
    "throttled": lambda: tr("Held back (too many attempts)"),
    "pending": lambda: tr("Awaiting approval"),
    "applied": lambda: tr("Applied"),
    "refused": lambda: tr("File refused"),
    "failed": lambda: tr("Failed"),
    "already_imported": lambda: tr("Already imported"),
    "second_factor": lambda: tr("Password right, second factor to follow"),
}

OBJECTS: Words = {
    "customer": lambda: tr("Customer"),
    "user": lambda: tr("User"),
    "org": lambda: tr("Organisation"),
    "approval": lambda: tr("Approval request"),
    "parameter": lambda: tr("System parameter"),
    "import_batch": lambda: tr("Import batch"),
    "audit": lambda: tr("Audit trail"),
    "balance_sheet": lambda: tr("Balance sheet"),
    "income_statement": lambda: tr("Income table"),
    "job": lambda: tr("Background job"),
}

#: why: the codes the server gives as `reason`
REASONS: Words = {
    "locked": lambda: tr("the account is locked"),
    "disabled": lambda: tr("the account is disabled"),
    "unknown_user": lambda: tr("no such user"),
    "wrong_password": lambda: tr("wrong password"),
    "own_account": lambda: tr("one's own account"),
    "too_many_failed_logins": lambda: tr("too many failed logins"),
    "address": lambda: tr("too many attempts from this address"),
    "account": lambda: tr("too many attempts for this account"),
    "wrong_old_password": lambda: tr("the old password was wrong"),
    "own_request": lambda: tr("one's own request"),
    "credentials_set_by_maker": lambda: tr("the requester set the credentials"),
    "checker_is_target": lambda: tr("the checker is the one it concerns"),
    "wrong_code": lambda: tr("wrong code"),
    "invalid_token": lambda: tr("the login step had expired or was already used"),
}

#: detail keys -> their words; keys not listed are not shown (ids, versions, hashes)
DETAILS: Words = {
    "fields": lambda: tr("Fields"),
    "reason": lambda: tr("Reason"),
    "members": lambda: tr("Members"),
    "as_of": lambda: tr("As of"),
    "year": lambda: tr("Year"),
    "role": lambda: tr("Role"),
    "action_needed": lambda: tr("Needs"),
    "needed": lambda: tr("Needs"),
    "read": lambda: tr("Rows read"),
    "created": lambda: tr("Created"),
    "updated": lambda: tr("Updated"),
    "rejected": lambda: tr("Rejected"),
    "business_date": lambda: tr("Business date"),
    "error_code": lambda: tr("Error"),
    "sessions": lambda: tr("Sessions ended"),
    "name": lambda: tr("Name"),
    "via": lambda: tr("Via"),
    "device": lambda: tr("Device"),
    "format": lambda: tr("Format"),
    "rows": lambda: tr("Rows"),
    "columns": lambda: tr("Columns"),
    "filters": lambda: tr("Filters"),
    "second_factor": lambda: tr("Second factor"),
    "method": lambda: tr("Method"),
    "left": lambda: tr("Recovery codes left"),
    "tries_left": lambda: tr("Tries left"),
}

#: an export's filters (the list's query parameters) -> their words
FILTERS: Words = {
    "q": lambda: tr("Search text"),
    "org_id": lambda: tr("Organisation"),
    "manager_id": lambda: tr("Account manager"),
    "type": lambda: tr("Type"),
    "sort": lambda: tr("Sorted by"),
    "role": lambda: tr("Role"),
    "status": lambda: tr("Status"),
    "action": lambda: tr("Action"),
    "object_id": lambda: tr("Object id"),
}


#: values the server writes that are words, not data
VALUES: Words = {
    "create-admin": lambda: tr("the create-admin command"),
    "known": lambda: tr("a device seen before"),
    "new": lambda: tr("a new device"),
    "login": lambda: tr("the first login"),
    "reenrolment": lambda: tr("a new authenticator from the Session menu"),
    "enrolment": lambda: tr("first-time setup"),
    "totp": lambda: tr("authenticator app code"),
    "recovery_code": lambda: tr("recovery code"),
}
#: who, where no staff member acted
ACTORS: Words = {
    "system": lambda: tr("System"),
    "operator": lambda: tr("Operator (command line)"),
}


#: where from, where it is not an address
SOURCES: Words = {
    "demo": lambda: tr("Demo data"),
}


def source_text(source: str | None) -> str:
    words = SOURCES.get(source or "")
    return words() if words else (source or "")


def who_text(e: AuditEntry) -> str:
    """Who acted: the staff member's name where the entry names a user, else the
    recorded actor (the system, the operator) in words."""
    return e.actor.display_name if e.actor is not None else actor_text(e.actor_name)


def actor_text(name: str | None) -> str:
    words = ACTORS.get(name or "")
    return words() if words else (name or "")


def action_text(code: str) -> str:
    words = ACTIONS.get(code)
    return words() if words else code


def outcome_text(code: str) -> str:
    words = OUTCOMES.get(code)
    return words() if words else code


def object_text(object_type: str | None, object_id: str | None) -> str:
    if not object_type:
        return ""
    words = OBJECTS.get(object_type)
    name = words() if words else object_type
    return f"{name} {object_id}" if object_id else name


def _field_names() -> dict[str, str]:
    """A customer's fields and a user's (what `fields` lists)."""
    return {**field_labels(), "username": tr("Username"), "display_name": tr("Full name"), "role": tr("Role"),
            "position": tr("Position"), "org_id": tr("Organisation"), "disabled": tr("Disabled")}


def _field_value(field: str, value: Any) -> str:
    if field in ("role", "position") and isinstance(value, str):
        return label(field, value)
    return "" if value is None else str(value)


def _value(key: str, value: Any) -> str:
    names = _field_names()
    if key == "fields" and isinstance(value, list):
        return tr(", ").join(names.get(str(f), str(f)) for f in value)
    if key == "fields" and isinstance(value, dict):  # a user's changed fields and their new values
        return tr(", ").join(f"{names.get(str(f), str(f))} → {_field_value(str(f), v)}" for f, v in value.items())
    if key == "reason" and isinstance(value, str):
        words = REASONS.get(value)
        return words() if words else value  # a reason a person typed stays as written
    if key == "role" and isinstance(value, str):
        return enum_labels()["role"].get(value, value)
    if key in ("action_needed", "needed") and isinstance(value, str):
        return action_text(value)
    if key == "error_code" and isinstance(value, str):
        return error_message(value, value)
    if key in ("via", "device", "second_factor", "method") and isinstance(value, str):
        words = VALUES.get(value)
        return words() if words else value
    if key == "filters" and isinstance(value, dict):
        return tr(", ").join(f"{_words(FILTERS, str(k))} {_filter_value(str(k), v)}" for k, v in value.items())
    if key == "format" and isinstance(value, str):
        return value.upper()
    if isinstance(value, list):
        return tr(", ").join(str(v) for v in value)
    return "" if value is None else str(value)


def _words(words: Words, code: str) -> str:
    found = words.get(code)
    return found() if found else code


def _filter_value(key: str, value: Any) -> str:
    text = "" if value is None else str(value)
    if key == "sort":
        descending = text.startswith("-")
        column = {"name": tr("Name"), "customer_no": tr("Customer no."), "created_at": tr("Created"),
                  "updated_at": tr("Updated")}.get(text.removeprefix("-"), text)
        return column + (" " + tr("(descending)") if descending else "")
    if key == "action":
        return action_text(text)
    if key in ("role", "type", "status"):
        return label({"status": "approval_status", "type": "customer_type"}.get(key, key), text)
    return text


def detail_text(detail: str | None) -> str:
    """The detail's meaningful parts as `label: value`, in the reader's language."""
    if not detail:
        return ""
    try:
        data = json.loads(detail)
    except ValueError:
        return detail
    if not isinstance(data, dict):
        return str(data)
    parts = [f"{DETAILS[k]()}: {_value(k, v)}" for k, v in data.items() if k in DETAILS and v not in (None, "", [])]
    return tr("; ").join(parts)


def sentence(e: AuditEntry) -> str:
    """Who did what to what, and how it ended: one line of the trail."""
    args = (who_text(e) or tr("(unknown)"), action_text(e.action), object_text(e.object_type, e.object_id),
            outcome_text(e.outcome))
    return re.sub(r"%([1-4])", lambda m: args[int(m.group(1)) - 1], tr("%1: %2 %3 — %4"))
