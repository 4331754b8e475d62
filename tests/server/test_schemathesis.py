"""Schemathesis against the API's own OpenAPI document (issue 15, attack surface):
every operation, generated requests within the schema, each sent as every role and
once without a token; no answer is a 5xx, every answer has the content type and (for
documented statuses) the schema the document promises. Bounded examples keep CI fast;
the world is the committed one, each operation's writes rolled back."""
from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from server.app import create_app
from server.settings import get_settings
from tests.server.conftest import ROLE_USER

CHECKS = [not_a_server_error, content_type_conformance, response_schema_conformance]
#: Generated examples per operation (each sent as 5 roles and anonymously).
EXAMPLES = 5
OPENAPI = "/api/v1/openapi.json"


def _labels() -> list[str]:
    app = create_app(get_settings(database_url="sqlite://", mfa_roles="", job_worker=False, audit_seal_seconds=0))
    return [op.ok().label for op in schemathesis.openapi.from_asgi(OPENAPI, app).get_all_operations()]


LABELS = _labels()


def test_every_operation_is_exercised():
    assert len(LABELS) >= 60 and len(set(LABELS)) == len(LABELS)


@pytest.mark.parametrize("label", LABELS)
def test_no_operation_answers_a_server_error_or_off_its_schema(label, backend, db_factory, world):  # type: ignore[no-untyped-def]
    app = create_app(backend.settings.model_copy(update={"job_worker": False, "audit_seal_seconds": 0}), db_factory)
    schema = schemathesis.openapi.from_asgi(OPENAPI, app)
    operation = next(op.ok() for op in schema.get_all_operations() if op.ok().label == label)

    @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        for user in (*ROLE_USER.values(), None):
            case.call_and_validate(headers=world.h(user) if user else {}, checks=CHECKS)

    run()
