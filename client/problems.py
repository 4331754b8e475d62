"""The one error path (STYLE.md §6): what an error answer means for the screen that
asked, decided here once, so that no view looks at HTTP status codes.

| answer | kind | what the screen does |
|---|---|---|
| 401 | SESSION_ENDED | nothing more: the controller asks to log in again; input is kept |
| 403 | REFUSED | says what is refused (the fields, when the server names them) |
| 404 | NOT_FOUND | says it is not there (or not the user's to see: the same answer) |
| 409 with `current` | CONFLICT | the conflict dialog |
| 409 (a duplicate) | INVALID | the error on its field |
| 422 | INVALID | each error on its field; anything no field shows, listed |
| 429, 503 with a wait | WAIT | a countdown; then the same request may be sent again |
| no answer, 5xx | UNAVAILABLE | input kept; a retry sends the same request with the same key |
| no connection (`tls.*`) | FAILED | says why the server is not trusted, or why http:// is refused; nothing was sent |

Pure: no Qt widgets, no HTTP (client/api turns answers into `ApiError`)."""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from client.api.client import ApiError
from client.i18n import error_message, field_labels, tr


class Kind(Enum):
    SESSION_ENDED = "session_ended"
    REFUSED = "refused"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    INVALID = "invalid"
    WAIT = "wait"
    UNAVAILABLE = "unavailable"
    #: the client itself could not finish (an export's file, say): nothing to retry as is
    FAILED = "failed"


#: problem codes that belong to one field (a duplicate identifier is a 409, not a 422)
CODE_FIELDS = {"customer.id_number.duplicate": "id_number", "customer.uscc.duplicate": "uscc",
               "user.username.duplicate": "username", "org.code.duplicate": "code"}


@dataclass
class Problem:
    kind: Kind
    #: what to say on the screen's message line, in the user's language
    message: str
    code: str
    #: field -> what to say beside it (the fields the screen shows)
    fields: dict[str, str] = field(default_factory=dict)
    #: the server's words for fields this screen does not show ("Field: message")
    unmapped: list[str] = field(default_factory=list)
    #: seconds to wait before the same request may go again (WAIT)
    retry_after: int | None = None
    #: the request as it was may be sent again with its Idempotency-Key (it may have been
    #: done: the key makes a second attempt harmless); otherwise a new body needs a new key
    same_key: bool = False
    #: the record as saved on the server (CONFLICT)
    current: dict[str, Any] | None = None


def problem_of(err: ApiError, shown: Collection[str] = ()) -> Problem:
    """What `err` means for a screen that shows the fields `shown`."""
    s, code = err.status, err.code
    text = error_message(code, err.detail)
    if s == 401:
        return Problem(Kind.SESSION_ENDED, error_message("auth.required"), code, same_key=True)
    if s == 403:
        refused = [f for f in err.body.get("fields", []) if isinstance(f, str)]
        if refused:
            names = field_labels()
            text = tr("Your role may not change: %1").replace("%1", tr(", ").join(names.get(f, f) for f in refused))
        return Problem(Kind.REFUSED, text, code,
                       {f: tr("Your role may not change this field") for f in refused if f in shown})
    if s == 404:
        return Problem(Kind.NOT_FOUND, error_message("resource.not_found"), code)
    if s == 409 and isinstance(err.body.get("current"), dict):
        return Problem(Kind.CONFLICT, error_message("resource.version_conflict"), code, current=err.body["current"])
    if s in (409, 422):
        errors = dict(err.field_errors)
        if code in CODE_FIELDS and not errors:
            errors[CODE_FIELDS[code]] = code
        names = field_labels()
        fields = {f: error_message(c) for f, c in errors.items() if f in shown}
        unmapped = [f"{names.get(f, f)}: {error_message(c)}" if f else error_message(c)
                    for f, c in errors.items() if f not in shown]
        if fields:
            message = " ".join([error_message("validation.failed"), *unmapped])
        else:  # nothing to mark: say what is wrong (a reused Idempotency-Key, say)
            message = " ".join(unmapped) or text
        return Problem(Kind.INVALID, message, code, fields, unmapped)
    wait = _seconds(err)
    if s == 429 or (s == 503 and wait):
        wait = wait or 5
        return Problem(Kind.WAIT, waiting(code, wait), code, retry_after=wait, same_key=True)
    if s == 0 and code.startswith("tls."):
        # refused before the request left (the handshake, or the client itself): the same
        # request, key and all, may go again once IT has fixed the certificate or the address
        return Problem(Kind.FAILED, tls_message(code), code, same_key=True)
    if s == 0 and code != "network.unreachable":
        return Problem(Kind.FAILED, text, code)
    return Problem(Kind.UNAVAILABLE, text + " " + tr("(your input is kept: try again)"), code, same_key=True)


def tls_message(code: str) -> str:
    """Why there is no trustworthy connection to the server (client/api/client.py, `tls.*`)."""
    messages = {
        "tls.unknown_ca": tr("The server's certificate is not signed by a trusted authority: the connection was "
                             "refused. Ask IT to check the server's certificate or this computer's CA file."),
        "tls.hostname_mismatch": tr("The server's certificate is for another host name than the server address "
                                    "entered: the connection was refused. Check the address."),
        "tls.certificate_expired": tr("The server's certificate has expired or is not yet valid: the connection "
                                      "was refused. Check this computer's date and time, or ask IT."),
        "tls.certificate_invalid": tr("The server's certificate could not be verified: the connection was refused."),
        "tls.handshake_failed": tr("No secure connection to the server could be made (TLS 1.2 or newer is needed): "
                                   "check the address."),
        "tls.plain_http_remote": tr("Refused: http:// is not encrypted and is allowed only to a server on this "
                                    "computer. Use the server's https:// address."),
        "tls.ca_file_unreadable": tr("The CA file set for this client cannot be read or holds no certificate."),
    }
    return messages.get(code, messages["tls.certificate_invalid"])


def waiting(code: str, seconds: int) -> str:
    """The countdown's words: what happened and how long is left."""
    return error_message(code) + " " + tr("(try again in %1 s)").replace("%1", str(max(seconds, 0)))


def _seconds(err: ApiError) -> int | None:
    value = err.body.get("retry_after", err.retry_after)
    try:
        seconds = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return max(1, min(seconds, 3600)) if seconds is not None else None
