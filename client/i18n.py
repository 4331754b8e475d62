"""Languages, the shipped font, and labels for codes that travel over the wire.

All user-visible text goes through `tr()` (one translation context, "crm"), extracted
by `scripts/update_translations.py` into `resources/translations/crm_zh_CN.ts`.
"""
from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

LANGUAGES = {"zh_CN": "中文", "en": "English"}
_translator: QTranslator | None = None
_qt_translator: QTranslator | None = None
_language = "en"


def tr(text: str, disambiguation: str | None = None) -> str:
    """`text` in the interface's language. The same English text with two meanings (an
    org's kind "Branch", a customer's "Branch" = the org it belongs to) is told apart by
    `disambiguation` (a .ts <comment>), each with its own translation."""
    return QCoreApplication.translate("crm", text, disambiguation)


def resource_path(*parts: str) -> str:
    return str(resources.files("resources").joinpath(*parts))


def default_language() -> str:
    return "zh_CN" if QLocale.system().language() == QLocale.Language.Chinese else "en"


def install_font(app: QApplication) -> str:
    """Ship WenQuanYi Micro Hei so Chinese renders on machines without CJK fonts."""
    font_id = QFontDatabase.addApplicationFont(resource_path("fonts", "wqy-microhei.ttc"))
    families = QFontDatabase.applicationFontFamilies(font_id) if font_id >= 0 else []
    if families:
        font = QFont(app.font())
        font.setFamilies([families[0], *app.font().families()])
        font.setPointSize(10)
        app.setFont(font)
        return families[0]
    return ""


def set_language(app: QApplication, lang: str) -> bool:
    """Install the translator for `lang` ("en" is the source language), and Qt's own
    for the words Qt's widgets bring (a message box's buttons, a line edit's Copy and
    Paste, the file dialog)."""
    global _translator, _qt_translator, _language
    for installed in (_translator, _qt_translator):
        if installed is not None:
            app.removeTranslator(installed)
    _translator = _qt_translator = None
    _language = "en"
    if lang == "en":
        return True
    t = QTranslator(app)
    if not t.load(resource_path("translations", f"crm_{lang}.qm")):
        return False
    app.installTranslator(t)
    qt = QTranslator(app)
    if qt.load(f"qtbase_{lang}", QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)):
        app.installTranslator(qt)
        _qt_translator = qt
    _translator, _language = t, lang
    return True


def current_language() -> str:
    """The interface's language now (a LANGUAGES key)."""
    return _language


# ----------------------------------------------------------------------------- labels
def enum_labels() -> dict[str, dict[str, str]]:
    return {
        "role": {"teller": tr("Teller"), "account_manager": tr("Account manager"),
                 "branch_manager": tr("Branch manager"), "head_office_admin": tr("Head-office admin"),
                 "auditor": tr("Auditor")},
        "gender": {"male": tr("Male"), "female": tr("Female")},
        "marital_status": {"single": tr("Single"), "married": tr("Married"), "divorced": tr("Divorced"),
                           "widowed": tr("Widowed")},
        "education": {"primary": tr("Primary school"), "junior_secondary": tr("Junior secondary"),
                      "senior_secondary": tr("Senior secondary"), "vocational": tr("Vocational college"),
                      "bachelor": tr("Bachelor"), "master": tr("Master"), "doctorate": tr("Doctorate")},
        "income_band": {"below_50k": tr("Below 50,000"), "50k_100k": tr("50,000-100,000"),
                        "100k_300k": tr("100,000-300,000"), "300k_1m": tr("300,000-1,000,000"),
                        "above_1m": tr("Above 1,000,000")},
        "lifecycle_stage": {"acquisition": tr("Acquisition"), "growth": tr("Growth"), "maturity": tr("Maturity"),
                            "decline": tr("Decline")},
        "org_kind": {"head_office": tr("Head office"), "branch": tr("Branch", "org kind"),
                     "sub_branch": tr("Sub-branch")},
        "action": {"create": tr("Created"), "update": tr("Changed")},
        "position": {"branch_president": tr("Branch president"), "department_head": tr("Department head"),
                     "account_manager": tr("Account manager"), "staff": tr("Staff")},
        "approval_kind": {"user.grant_privileged": tr("Grant a privileged role"),
                          "user.create": tr("New user"),
                          "user.update": tr("Change a user"),
                          "user.unlock": tr("Unlock a user"),
                          "user.password_reset": tr("Reset a password"),
                          "customer.reassign": tr("Reassign a customer"),
                          "customer.delete": tr("Delete a customer"),
                          "user.mfa_reset": tr("Reset a second factor")},
        "customer_type": {"personal": tr("Personal"), "corporate": tr("Corporate")},
        "approval_status": {"pending": tr("Pending"), "approved": tr("Approved"), "rejected": tr("Rejected")},
        "relation": {"self": tr("Self"), "spouse": tr("Spouse"), "child": tr("Child"), "parent": tr("Parent"),
                     "other": tr("Other relative")},
        "job_status": {"queued": tr("Waiting"), "running": tr("Running"), "succeeded": tr("Done"),
                       "failed": tr("Failed"), "cancelled": tr("Cancelled")},
    }


def label(kind: str, value: str | None) -> str:
    if value is None:
        return ""
    return enum_labels().get(kind, {}).get(value, value)


def field_labels() -> dict[str, str]:
    return {"name": tr("Name"), "gender": tr("Gender"), "birth_date": tr("Date of birth"),
            "id_number": tr("Resident ID"), "uscc": tr("Credit code"), "phone": tr("Mobile"),
            "address": tr("Address"), "occupation": tr("Occupation"), "employer": tr("Employer"),
            "marital_status": tr("Marital status"), "education": tr("Education"), "income_band": tr("Income band"),
            "lifecycle_stage": tr("Lifecycle stage"), "org_id": tr("Branch"), "manager_id": tr("Account manager"),
            "type": tr("Type")}


def error_message(code: str, fallback: str = "") -> str:
    """The user's words for a machine code (shared/errors.py, shared/validators.py)."""
    messages = {
        "field.required": tr("Required"),
        "field.too_long": tr("Too long"),
        "field.invalid_choice": tr("Choose one of the offered values"),
        "field.invalid_date": tr("Not a valid date"),
        "field.invalid": tr("Not valid"),
        "field.control_characters": tr("Contains control characters"),
        "customer.id_number.format": tr("17 digits followed by a digit or X"),
        "customer.id_number.region": tr("The first two digits are not a province"),
        "customer.id_number.birth_date": tr("Digits 7-14 are not a possible date of birth"),
        "customer.id_number.checksum": tr("Check digit does not match: please re-check the number"),
        "customer.id_number.duplicate": tr("A customer with this resident ID already exists"),
        "customer.gender.mismatch_id": tr("Does not agree with the resident ID"),
        "customer.birth_date.mismatch_id": tr("Does not agree with the resident ID"),
        "customer.birth_date.future": tr("Date of birth is in the future"),
        "customer.phone.format": tr("A mobile number has 11 digits starting 13-19"),
        "customer.uscc.format": tr("18 characters: digits and capital letters"),
        "customer.uscc.checksum": tr("Check character does not match: please re-check the code"),
        "customer.uscc.duplicate": tr("A customer with this credit code already exists"),
        "org.code.duplicate": tr("This organisation code is taken"),
        "org.kind.second_head_office": tr("There is exactly one head office"),
        "org.parent_id.not_found": tr("Choose an existing parent organisation"),
        "org.parent_id.wrong_kind": tr("A branch sits under the head office, a sub-branch under a branch"),
        "org.out_of_scope": tr("Choose an organisation within your own"),
        "customer.org_id.not_found": tr("Choose an existing branch"),
        "field.not_applicable": tr("Does not apply to this type of customer"),
        "request.invalid_json": tr("The request could not be read"),
        "field.read_only": tr("This field cannot be changed"),
        "customer.org_id.out_of_scope": tr("Choose your own branch or one below it"),
        "customer.manager_id.invalid": tr("Choose an account manager of your branch"),
        "auth.invalid_credentials": tr("Wrong username or password, or the account is locked"),
        "auth.throttled": tr("Too many failed attempts: wait a moment and try again"),
        "auth.required": tr("Your session has ended: please log in again"),
        "permission.denied": tr("Your role may not do this"),
        "permission.field_denied": tr("Your role may not change some of these fields"),
        "resource.not_found": tr("Not found"),
        "resource.version_conflict": tr("Someone else changed this record"),
        "network.unreachable": tr("The server cannot be reached"),
        "server.internal_error": tr("The server could not complete the request"),
        "validation.failed": tr("Please correct the marked fields"),
        "idempotency.key_reused": tr("The server took this save for another one: please save again"),
        "idempotency.in_progress": tr("This save is still being processed: wait a moment"),
        "idempotency.key_invalid": tr("The request's idempotency key is not valid: please save again"),
        "request.method_not_allowed": tr("The server does not offer this here"),
        "field.too_short": tr("Too short"),
        "field.unknown": tr("Not a field of this form"),
        "field.invalid_integer": tr("Not a whole number"),
        "password.too_short": tr("At least 12 characters"),
        "password.too_long": tr("At most 128 characters"),
        "password.same_as_username": tr("The password must differ from the username"),
        "password.common": tr("This password is too common: choose another"),
        "password.unchanged": tr("Choose a password different from the current one"),
        "password.mismatch": tr("The two passwords differ"),
        "auth.wrong_password": tr("The current password is wrong"),
        "auth.mfa_code_invalid": tr("Wrong code: check the code your app shows now and try again"),
        "auth.mfa_token_invalid": tr("The login took too long or was already used: enter your password again"),
        "auth.mfa_enrolment_not_pending": tr("No new authenticator is being set up: start again"),
        "auth.password_change_required": tr("Change your password first"),
        "user.username.format": tr("2-40 letters, digits, dots, dashes or underscores"),
        "user.username.duplicate": tr("This username is taken"),
        "user.org_id.not_found": tr("Choose an existing organisation"),
        "user.lock.self": tr("You cannot lock your own account"),
        "approval.own_request": tr("You cannot decide your own request"),
        "approval.not_pending": tr("This request has already been decided"),
        "approval.stale": tr("The record changed after the request was made: ask for it again"),
        "approval.unknown_kind": tr("This server cannot carry out this kind of request"),
        "approval.checker_credentials_set_by_maker": tr(
            "Your password was last set by the requester: another checker must decide"),
        "approval.checker_is_target": tr("You cannot decide a request about your own account"),
        "customer.delete.pending": tr("A request to delete this customer is already waiting for a checker"),
        "archive.restore_expired": tr("The time allowed for bringing this customer back has passed"),
        "archive.restore_identifier_taken": tr(
            "Another customer now holds this customer's ID or number: the archived one cannot come back"),
        "archive.restore_id_taken": tr("This customer's record number is in use again: ask IT to restore it"),
        "request.rate_limited": tr("Too many requests in a short time: wait a moment and try again"),
        "user.self_administration": tr("Nobody changes their own role, branch, lock or password here"),
        "field.invalid_decimal": tr("Not a number"),
        "field.too_many_decimals": tr("Too many decimal places"),
        "field.out_of_range": tr("Out of the allowed range"),
        "request.too_large": tr("The request is too large"),
        "server.unavailable": tr("The server is busy: try again in a moment"),
        "client.internal_error": tr("Something went wrong in this program: please tell IT"),
        "parameter.ratio_ranges.min_above_max": tr("The lower bound is above the upper bound"),
        "parameter.ratio_ranges.duplicate_code": tr("This ratio has a range already"),
        "parameter.ratio_ranges.missing_code": tr("Every ratio needs a range"),
        "parameter.sla_hours.duplicate_target": tr("This ticket type and priority have a target already"),
        "parameter.sla_hours.missing_target": tr("Every ticket type and priority needs a target"),
        "parameter.risk_rules.thresholds_order": tr("The thresholds must rise from one level to the next"),
        "import.file.header": tr("The file's header is not the one this kind of file has"),
        "import.file.encoding": tr("The file is not UTF-8 text"),
        "import.file.trailer_missing": tr("The file has no trailer line (TRAILER,rows,sum)"),
        "import.file.trailer_mismatch": tr("The file's trailer does not agree with its rows"),
        "import.file.format": tr("The file cannot be read as CSV"),
        "import.row.columns": tr("The row does not have the header's number of fields"),
        "import.duplicate_in_file": tr("The same customer appears twice in the file"),
        "import.core_customer_id.taken": tr("This core-banking id belongs to another customer"),
        "import.rejects_above_limit": tr("Too many rows were rejected: nothing of the file was applied"),
        "import.internal_error": tr("The import failed on the server: nothing of the file was applied"),
        "job.internal_error": tr("The background job failed on the server"),
        "job.unknown_kind": tr("This server cannot run this kind of job"),
        "job.abandoned": tr("The background job stopped without finishing"),
        "household.members.second_self": tr("A household has one customer it belongs to"),
        "household.members.id.unknown": tr("Not a member of this household: reload it"),
        "household.members.customer_id.not_found": tr("Choose a customer you can look up"),
        "finance.income_statement.duplicate_year": tr("This customer has an income table of that year already"),
        "finance.line.member_unknown": tr("Not a member of this customer's household"),
        "finance.balance_sheet.duplicate_date": tr("This customer has a balance sheet of that date already"),
        "statement.nothing_to_print": tr("There is no balance sheet or income table to print yet"),
        "statement.batch.too_large": tr("Too many customers for one batch: print a manager's book at a time"),
        "statement.batch.running": tr("Your previous batch of statements is still being printed"),
        "statement.batch.not_allowed": tr("You may no longer print these statements"),
        "job.finished": tr("The background job has already ended"),
        "export.too_many_rows": tr("The list holds too many rows for one export: narrow it first"),
        "export.cancelled": tr("The export was stopped: no file was written"),
        "export.write_failed": tr("The file could not be written"),
    }
    return messages.get(code, fallback or code)
