"""Offset orders read quantities with the one parser and names with the one text policy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.payments import offset_form
from webapp.extensions import db
from webapp.models import Order


def test_offset_page_ignores_a_prefill_that_is_not_a_number(client, credits, buyer):
    for raw in ("sNaN", "NaN", "1e28", "-1", "Infinity"):
        response = client.get(f"/offset?tonnes={raw}")
        assert response.status_code == 200, raw
    assert 'value="2.500"' in client.get("/offset?tonnes=2.5").get_data(as_text=True)


@pytest.mark.parametrize("raw", ["sNaN", "NaN", "1e28", "Infinity", "1e-9"])
def test_offset_order_refuses_quantities_that_are_not_plain_numbers(client, credits, buyer, raw):
    response = client.post("/offset", data=offset_form(client, tonnes=raw))
    assert response.status_code == 400, raw
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0


def test_offset_form_refuses_a_bidi_beneficiary(client, credits, buyer):
    response = client.post("/offset", data=offset_form(client, beneficiary_name="a\u202eb"))
    assert response.status_code == 400
    assert "U+202E" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
