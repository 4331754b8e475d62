"""The shared request models: what both sides rely on."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.enums import CustomerSort, CustomerType
from shared.schemas import MAX_ID, CustomerQuery


def test_a_customer_query_sends_only_what_differs_from_the_defaults():
    assert CustomerQuery().params() == {}
    q = CustomerQuery(q="张 三", org_id=3, type=CustomerType.CORPORATE, sort=CustomerSort.UPDATED_AT_DESC)
    assert q.params() == {"q": "张 三", "org_id": "3", "type": "corporate", "sort": "-updated_at"}
    assert CustomerQuery.model_validate(q.params()) == q  # what the route parses back


def test_a_customer_query_refuses_ids_past_the_integer_range_and_unknown_orders():
    for bad in ({"org_id": MAX_ID + 1}, {"manager_id": 0}, {"sort": "bogus"}, {"q": "x" * 101}):
        with pytest.raises(ValidationError):
            CustomerQuery.model_validate(bad)
