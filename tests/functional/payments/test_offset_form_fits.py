"""The offset form asks only what applies to the person, lands on the price, and reads
quantities as people write them (issue 21, parts 6 and 7)."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.payments import offset_form, start_order
from webapp.extensions import db
from webapp.models import Order, OrganisationKind, Privacy, Purpose
from webapp.services.events import organisations


def _page(client) -> str:
    response = client.get("/offset")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def test_show_the_price_posts_to_the_price_anchor(client, credits, buyer):
    html = _page(client)
    assert re.search(r'<form method="post" action="/offset#quote"', html)
    data = offset_form(client)
    del data["confirm"]
    quoted = client.post("/offset", data=data).get_data(as_text=True)
    assert 'id="quote"' in quoted and 'name="confirm"' in quoted
    # The pay button is inside the #quote section the browser scrolls to.
    section = quoted.split('id="quote"', 1)[1].split("</section>", 1)[0]
    assert 'name="confirm"' in section and "¥192.00" in section


def test_a_resident_sees_no_invoice_no_transfer_note_and_one_payment_word(
    client, credits, buyer, app
):
    app.config["BANK_DEMO"] = True  # even where transfers exist, a resident is not offered one
    html = _page(client)
    assert 'name="invoice_title"' not in html and 'name="invoice_tax_id"' not in html
    assert "bank transfer" not in html.lower() and "对公转账" not in html
    # Only one way to pay: said once, no radio to choose and no second "支付" heading.
    assert 'type="radio" name="method"' not in html
    assert '<input type="hidden" name="method" value="demo">' in html
    payment = html.split('id="payment"', 1)[1].split("</fieldset>", 1)[0]
    assert payment.count("<legend>") == 1
    # The judicial fields are there for judicial restoration only (hidden otherwise).
    assert re.search(r'class="grid two when-judicial"', html)


def test_judicial_fields_are_shown_for_judicial_restoration_and_ignored_otherwise(
    client, credits, buyer
):
    data = offset_form(client, purpose="judicial_restoration", case_number="(2026)鲁0102刑初1号")
    del data["confirm"]
    html = client.post("/offset", data=data).get_data(as_text=True)
    assert 'class="grid two when-judicial shown"' in html
    # A case number sent with another purpose (a stale page) is not recorded.
    order = start_order(client, purpose="gift", case_number="(2026)鲁0102刑初1号", court="某法院")
    assert order.case_number is None and order.court is None
    judicial = start_order(
        client, purpose="judicial_restoration", case_number="(2026)鲁1号", court="某法院"
    )
    assert judicial.case_number == "(2026)鲁1号"


def test_a_resident_cannot_put_invoice_details_on_an_order(client, credits, buyer):
    order = start_order(client, invoice_title="某公司", invoice_tax_id="91370100MA3C000000")
    assert order.invoice_title is None


def test_an_organisation_offsets_in_its_own_name_by_default(client, credits, make_user, auth, app):
    app.config["BANK_DEMO"] = True
    user = make_user("organiser", email="org@example.cn", name="王主办")
    auth.login("org@example.cn")
    organisations.create(
        db.session,
        owner=user,
        name="泰山论坛组委会",
        kind=OrganisationKind.ASSOCIATION,
        invoice=organisations.InvoiceDetails("泰山论坛组委会", "51370000MJD000000X", "泰安市"),
    )
    db.session.commit()
    html = _page(client)
    assert 'name="beneficiary_name" required type="text" value="泰山论坛组委会"' in html or (
        'value="泰山论坛组委会"' in html and 'id="beneficiary_name"' in html
    )
    assert re.search(r'value="full"[^>]*checked|checked[^>]*value="full"', html)
    assert re.search(
        r'<option selected value="organisation">|<option value="organisation" selected', html
    )
    assert 'value="51370000MJD000000X"' in html
    # Both ways to pay, and the bank-transfer note, are offered to an organisation.
    assert 'type="radio" name="method"' in html or 'name="method" type="radio"' in html
    # The order placed with the page's defaults names the organisation in full.
    data = {
        "csrf_token": csrf_token(client, "/offset"),
        "project": "TA-CLS",
        "tonnes": "1",
        "beneficiary_name": "泰山论坛组委会",
        "privacy": "full",
        "purpose": "organisation",
        "method": "demo",
        "confirm": "1",
    }
    assert client.post("/offset", data=data).status_code == 302
    order = db.session.scalars(select(Order)).one()
    assert order.privacy is Privacy.FULL and order.purpose is Purpose.ORGANISATION


def test_quantities_as_people_write_them(client, credits, buyer):
    for typed in ("2,400 kg",):
        data = offset_form(client, tonnes=typed)
        html = client.post("/offset", data=data).get_data(as_text=True)
        assert "请以吨（t）为单位填写数字。" in html
    for typed, figure in (("３", "¥240.00"), ("1,000 千克", None), ("3 吨", "¥240.00")):
        data = offset_form(client, tonnes=typed)
        del data["confirm"]
        response = client.post("/offset", data=data)
        html = response.get_data(as_text=True)
        if figure is None:
            assert response.status_code == 400 and "请以吨（t）为单位填写数字。" in html
        else:
            assert response.status_code == 200 and figure in html, typed
    for garbage in ("3,00,0", "abc", "1e9", "-3"):
        response = client.post("/offset", data=offset_form(client, tonnes=garbage))
        assert response.status_code == 400, garbage
        assert f'value="{garbage}"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Order)) == 0
