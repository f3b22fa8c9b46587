"""Donations for planting (捐资造林): given to a memorial site, paid like a plot sponsorship,
counted toward the tree-planting duty (捐资捐物) at the site's rule, never an offset."""

from __future__ import annotations

import email
import email.policy
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.payments import donate_form, fresh, pay_with_demo, start_donation
from tests.support.pdftools import decoded, pdftotext
from webapp import localtime
from webapp.extensions import db
from webapp.models import (
    Certificate,
    DutyCertificate,
    LedgerEntry,
    Order,
    OrderKind,
    OrderStatus,
    PaymentEvent,
    Purpose,
)
from webapp.services.planting import duty

PAGE = "/sites/CLS-JN/donate"


def count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def donor(make_user, auth, site):
    user = make_user("resident", email="donor@example.cn", name="林小树")
    auth.login("donor@example.cn")
    return user


def _mail_text(app) -> str:
    (mail,) = Path(app.config["MAIL_OUTBOX"]).glob("*.eml")
    message = email.message_from_bytes(mail.read_bytes(), policy=email.policy.default)
    return message.get_body(preferencelist=("plain",)).get_content()


def test_the_site_page_offers_donating_and_donating_needs_an_account(client, site):
    page = client.get("/sites/CLS-JN").get_data(as_text=True)
    assert 'href="/sites/CLS-JN/donate"' in page and 'id="donation-totals"' in page
    response = client.get(PAGE)
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
    assert client.get("/sites/NOPE/donate").status_code in (302, 404)


def test_the_form_says_what_a_donation_is_and_a_preview_holds_nothing(english, donor):
    page = english.get(PAGE).get_data(as_text=True)
    assert "¥60.00 counts as 3 trees at ¥20 per tree" in page
    assert "全民义务植树网" in page  # the rule's source
    assert "It is not a carbon offset" in page and "no offset certificate" in page
    assert "to the payee (收款方) 碳汇平台 Tanhui" in page
    # What the 2017 measures recognise, and that acceptance is the commission's decision.
    assert "lawful public-fundraising organisation (合法公募组织)" in page
    assert "depends on that rule and on the payee" in page
    assert 'checked id="preset-1" name="preset" required type="radio" value="60"' in page
    assert 'checked id="privacy-2" name="privacy" required type="radio" value="anonymous"' in page
    data = donate_form(english, preset="other", amount="70")
    del data["confirm"]
    response = english.post(PAGE, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "¥70.00 counts as 3 trees" in html
    assert "Confirm and pay ¥70.00" in html
    assert count(Order) == 0


def test_a_demo_donation_is_paid_counts_toward_the_duty_and_earns_no_points(app, english, donor):
    order = start_donation(english, preset="other", amount="70", privacy="full")
    assert (order.kind, order.status, order.quantity_kg) == (
        OrderKind.DONATION,
        OrderStatus.PENDING,
        0,
    )
    assert order.amount == Decimal("70.00") and order.purpose is Purpose.PLANTING_DONATION
    assert order.site.code == "CLS-JN" and order.allocation_id is None
    pending = english.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert "¥70.00 counts as 3 trees at ¥20 per tree" in pending and "Pay now" in pending

    order = pay_with_demo(english, order)
    assert order.status is OrderStatus.PAID
    # Not an offset: no certificate, no serials, no ledger entry.
    assert count(Certificate) == 0 and count(LedgerEntry) == 0
    detail = english.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert "thank you for your donation" in detail and "not a carbon offset" in detail
    receipt = english.get(f"/orders/{order.ref}/receipt").get_data(as_text=True)
    assert "Payee (收款方)" in receipt and "¥70.00 counts as 3 trees" in receipt
    assert "no offset certificate" in receipt
    text = _mail_text(app)
    assert "donation for planting" in text and "¥70.00 counts as 3 trees at ¥20 per tree" in text
    assert "It is not a carbon offset" in text and "Payee: 碳汇平台 Tanhui" in text

    year = localtime.today().year
    page = english.get("/account/duty").get_data(as_text=True)
    assert f"3 trees in {year}" in page and "the yearly duty is fulfilled." in page
    assert order.ref in page and "¥70.00" in page
    # Donations buy no points.
    assert f'id="points-total">0 points in {year}: 0 for attending' in page
    assert "0 for tending, 0 for adoption." in page and "20 for adoption" not in page
    assert "Donations earn no points." in page

    pdf = english.get(f"/account/duty/{year}.pdf")
    pdf_text = " ".join(pdftotext(pdf.data).split())
    assert "捐资捐物 Donation" in pdf_text and order.ref in pdf_text
    certificate = db.session.scalar(select(DutyCertificate))
    assert (certificate.trees_planted, certificate.trees_converted) == (0, 3)
    (qr,) = decoded(pdf.data)
    check = english.get(qr[len(app.config["BASE_URL"]) :]).get_data(as_text=True)
    assert "VALID" in check and "3 (planted 0, converted 3)" in check
    assert "donations for planting (捐资捐物)" in check

    # The site page counts it and, as chosen, names the donor.
    site_page = english.get("/sites/CLS-JN").get_data(as_text=True)
    assert "¥70.00 donated in 1 donation." in site_page and "林小树" in site_page


def test_each_donation_is_converted_on_its_own_at_the_sites_rule(app, english, donor):
    app.config["DUTY_CONVERSION"] = {
        "CLS-JN": {"yuan_per_tree": "30", "source": "泰安市绿化委员会（示例）"}
    }
    page = english.get(PAGE).get_data(as_text=True)
    assert "¥60.00 counts as 2 trees at ¥30 per tree (rule: 泰安市绿化委员会（示例）)" in page
    for amount in ("50", "50"):
        pay_with_demo(english, start_donation(english, preset="other", amount=amount))
    record = duty.record(db.session, donor, localtime.today().year, app.config)
    # ¥50 at ¥30 a tree is 1 tree each (rounded down per donation), not 3 for ¥100.
    assert [line.trees for line in record.donated] == [1, 1]
    assert record.total == 2 and record.sponsored == []
    # Anonymous (the form's default): counted on the site page, never named.
    visitor = app.test_client()
    visitor.set_cookie("lang", "en")
    site_page = visitor.get("/sites/CLS-JN").get_data(as_text=True)
    assert "¥100.00 donated in 2 donations." in site_page
    assert "林小树" not in site_page and "林*" not in site_page


@pytest.mark.parametrize(
    "fields",
    [
        {"preset": "other", "amount": "0"},
        {"preset": "other", "amount": "-5"},
        {"preset": "other", "amount": "NaN"},
        {"preset": "other", "amount": "Infinity"},
        {"preset": "other", "amount": "1e9"},
        {"preset": "other", "amount": "1000000000"},
        {"preset": "other", "amount": "100000.01"},
        {"preset": "other", "amount": "12.345"},
        {"preset": "other", "amount": "abc"},
        {"preset": "other", "amount": ""},
        {"preset": "5"},  # not one of the offered amounts
        {"preset": "60", "donor_name": ""},
        {"preset": "60", "privacy": "public"},
        {"preset": "60", "method": "bank_transfer", "invoice_title": "某公司"},  # residents
    ],
)
def test_bad_amounts_and_fields_are_refused_in_the_readers_language(client, donor, fields):
    response = client.post(PAGE, data=donate_form(client, **fields))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'class="error' in html  # the message is shown on the page
    assert "Traceback" not in html
    assert count(Order) == 0


def test_refusals_are_localised(client, english, donor):
    english_page = english.post(PAGE, data=donate_form(english, preset="other", amount="0"))
    assert "A donation is from ¥1.00 to ¥100,000.00." in english_page.get_data(as_text=True)
    client.set_cookie("lang", "zh")
    chinese = client.post(PAGE, data=donate_form(client, preset="other", amount="200000"))
    assert chinese.status_code == 400
    assert "捐资金额须在 ¥1.00 至 ¥100,000.00 之间。" in chinese.get_data(as_text=True)
    assert count(Order) == 0


def test_a_refunded_donation_stops_counting(app, english, donor, auth, make_user):
    order = pay_with_demo(english, start_donation(english, privacy="initials"))
    year = localtime.today().year
    assert duty.record(db.session, donor, year, app.config).trees_donated == 3
    assert "林*" in english.get("/sites/CLS-JN").get_data(as_text=True)
    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    page = f"/admin/orders/{order.ref}"
    response = english.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(english, page), "reason": "asked"},
    )
    assert response.status_code == 302
    assert fresh(order).status is OrderStatus.REFUNDED
    db.session.expire_all()
    record = duty.record(db.session, donor, year, app.config)
    assert record.donated == [] and record.total == 0
    site_page = english.get("/sites/CLS-JN").get_data(as_text=True)
    assert "¥0.00 donated in 0 donations." in site_page and "林*" not in site_page
    auth.logout()
    auth.login("donor@example.cn")
    detail = english.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert "no longer counts toward your tree-planting duty" in detail


def test_staff_find_donations_by_kind_and_export_them_with_human_labels(
    english, donor, auth, make_user
):
    order = pay_with_demo(english, start_donation(english))
    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    listed = english.get("/admin/orders?kind=donation").get_data(as_text=True)
    assert order.ref in listed and "Donation for planting (捐资造林)" in listed
    assert order.ref not in english.get("/admin/orders?kind=plot").get_data(as_text=True)
    exported = english.get("/admin/orders.csv?kind=donation").data.decode("utf-8-sig")
    assert order.ref in exported and "CLS-JN: Donation for planting (捐资造林)" in exported
    assert "donation" not in exported.replace("Donation for planting", "")
    assert "planting_donation" not in exported


def test_an_organisation_donates_by_bank_transfer_confirmed_by_two_staff(
    app, english, site, make_user, auth
):
    make_user("organiser", email="org@example.cn", name="泰安某公司")
    auth.login("org@example.cn")
    order = start_donation(
        english, method="bank_transfer", invoice_title="泰安市某某公司", donor_name="泰安某公司"
    )
    assert order.method.value == "bank_transfer" and order.provider_session_id is None
    page = english.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert "before the donation is recorded" in page
    for staff in ("staff1@example.cn", "staff2@example.cn"):
        make_user("admin", email=staff)
    auth.logout()
    auth.login("staff1@example.cn")
    admin_page = f"/admin/orders/{order.ref}"
    english.post(
        f"{admin_page}/transfer/record",
        data={"csrf_token": csrf_token(english, admin_page), "amount": "60.00", "reference": "B-1"},
    )
    auth.logout()
    auth.login("staff2@example.cn")
    confirmed = english.post(
        f"{admin_page}/transfer/confirm", data={"csrf_token": csrf_token(english, admin_page)}
    )
    assert "the donation is recorded" in english.get(confirmed.headers["Location"]).get_data(
        as_text=True
    )
    assert fresh(order).status is OrderStatus.PAID


def _deliver(client, notification):
    headers, body = notification
    return client.post("/webhooks/wechatpay", data=body, headers=headers)


def test_wechat_pay_donation_is_paid_by_the_notification_and_refunded_by_the_platform(
    app, client, china_pay_app, donor, wechatpay_fake
):
    order = start_donation(client, method="wechat_pay", preset="100")
    trade = wechatpay_fake.trade(order.ref)
    assert trade.amount == order.amount_fen == 10000
    assert "捐资造林" in trade.params["description"]
    wechatpay_fake.pay(order.ref)
    assert _deliver(client, wechatpay_fake.payment_notification(order.ref)).status_code == 204
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    year = localtime.today().year
    assert duty.record(db.session, donor, year, app.config).trees_donated == 5
    text = _mail_text(app)
    assert "捐资造林" in text and "不是碳抵消" in text
    assert wechatpay_fake.trade(order.ref).transaction_id in text

    wechatpay_fake.refund_at_platform(order.ref, order.amount_fen, "MP-ALL")
    assert (
        _deliver(client, wechatpay_fake.refund_notification(order.ref, "MP-ALL")).status_code == 204
    )
    assert fresh(order).status is OrderStatus.REFUNDED
    db.session.expire_all()
    assert duty.record(db.session, donor, year, app.config).donated == []
    assert sorted(db.session.scalars(select(PaymentEvent.outcome))) == ["fulfilled", "refunded"]


def test_refunding_a_donation_revokes_the_duty_certificate_that_counted_it(
    app, english, donor, auth, make_user
):
    """The two halves of the duty record meet here: a donation counted on a duty
    certificate, then refunded, leaves that certificate revoked at once (not VALID)."""
    import re

    from webapp.models import DutyCertificate
    from webapp.services import keys

    order = pay_with_demo(english, start_donation(english))
    year = localtime.today().year
    response = english.get(f"/account/duty/{year}.pdf")
    assert response.status_code == 200
    public_id = re.search(
        r"tanhui-duty-\d{4}-([0-9A-Z]+)\.pdf", response.headers["Content-Disposition"]
    ).group(1)
    certificate = db.session.scalar(
        select(DutyCertificate).where(DutyCertificate.public_id == public_id)
    )
    assert (certificate.trees_converted, certificate.revoked_at) == (3, None)
    key, _keyring = keys.signing(app.config)
    check = duty.qr_text(app.config["BASE_URL"], key, certificate)[len(app.config["BASE_URL"]) :]
    assert 'data-verdict="valid"' in english.get(check).get_data(as_text=True)

    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    page = f"/admin/orders/{order.ref}"
    confirm = english.post(
        f"{page}/refund", data={"csrf_token": csrf_token(english, page), "reason": "asked"}
    ).get_data(as_text=True)
    assert public_id in confirm  # the confirmation names the certificate it will revoke
    response = english.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(english, page), "reason": "asked"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    revoked = db.session.get(DutyCertificate, certificate.id)
    assert revoked.revoked_at is not None and revoked.revoked_at == fresh(order).refunded_at
    text = english.get(check).get_data(as_text=True)
    assert 'data-verdict="revoked"' in text and "A payment counted on it was refunded" in text
    data = english.get(f"/api/v1/duty-certificates/{public_id}").get_json()
    assert data["status"] == "revoked"
