"""Plot sponsorship (认建认养) through the order flow: choose → dedicate → pay → certificate."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.support.app import csrf_token
from webapp.extensions import db
from webapp.models import (
    Certificate,
    CertificateStatus,
    DemoCheckout,
    LedgerEntry,
    Order,
    OrderKind,
    OrderStatus,
    Plot,
    PlotStatus,
    Privacy,
)
from webapp.services import orders

PAGE = "/sites/CLS-JN/sponsor"


@pytest.fixture
def buyer(make_user, auth):
    user = make_user("resident", email="buyer@example.cn", name="林小树")
    auth.login("buyer@example.cn")
    return user


def form(client, **fields) -> dict:
    data = {
        "csrf_token": csrf_token(client, PAGE),
        "plots": ["A-01"],
        "sponsor_name": "林小树",
        "privacy": "full",
        "dedication": "birth",
        "message": "欢迎你，小禾",
        "method": "demo",
        "confirm": "1",
    }
    data.update(fields)
    return data


def start(client, **fields) -> Order:
    response = client.post(PAGE, data=form(client, **fields))
    assert response.status_code == 302, response.get_data(as_text=True)[:3000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    return orders.find(db.session, ref)


def pay(client, order: Order) -> Order:
    token = csrf_token(client, f"/pay/demo/{order.provider_session_id}")
    response = client.post(f"/pay/demo/{order.provider_session_id}/pay", data={"csrf_token": token})
    assert response.status_code == 302
    return fresh(order)


def fresh(order: Order) -> Order:
    db.session.expire_all()
    return db.session.get(Order, order.id)


def plot(code: str) -> Plot:
    db.session.expire_all()
    return db.session.scalar(select(Plot).where(Plot.code == code))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_plot_pages_link_to_the_sponsorship_page(client, make_plot):
    make_plot("A-01")
    html = client.get("/sites/CLS-JN/plots/A-01").get_data(as_text=True)
    assert 'href="/sites/CLS-JN/sponsor?plots=A-01"' in html
    assert "/sites/CLS-JN/sponsor?plots=A-01" in client.get("/sites/CLS-JN").get_data(as_text=True)


def test_sponsoring_needs_an_account(client, make_plot):
    make_plot("A-01")
    response = client.get(PAGE + "?plots=A-01")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]


def test_preview_shows_the_price_and_holds_nothing(client, make_plot, buyer):
    make_plot("A-01")
    make_plot("A-02")
    page = client.get(PAGE + "?plots=A-01").get_data(as_text=True)
    assert 'value="A-01" checked' in page and 'value="A-02">' in page
    assert "not an offset" in page or "并非" in page or "不是" in page
    data = form(client, plots=["A-01", "A-02"])
    del data["confirm"]
    response = client.post(PAGE, data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "¥1,200.00" in html  # 2 × ¥600
    assert count(Order) == 0
    assert plot("A-01").status is PlotStatus.AVAILABLE


def test_sponsorship_is_paid_once_and_issues_a_plot_certificate(app, client, make_plot, buyer):
    make_plot("A-01")
    order = start(client)
    assert (order.kind, order.status, order.quantity_kg) == (OrderKind.PLOT, OrderStatus.PENDING, 0)
    assert order.amount == Decimal("600.00")
    held = plot("A-01")
    assert held.status is PlotStatus.RESERVED and held.holder_ref == order.ref

    order = pay(client, order)
    assert order.status is OrderStatus.PAID
    sponsored = plot("A-01")
    assert sponsored.status is PlotStatus.SPONSORED
    assert (sponsored.sponsor_name, sponsored.sponsor_public) == ("林小树", "林小树")
    assert sponsored.dedication_message == "欢迎你，小禾"
    certificate = db.session.scalars(select(Certificate)).one()
    assert certificate.kind.value == "plot"
    assert (certificate.plot_code, certificate.plot_id) == ("A-01", sponsored.id)
    assert certificate.quantity_kg is None and certificate.order_id == order.id
    ledger = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "sponsorship")).one()
    assert json.loads(ledger.body)["plots"] == ["A-01"]

    # Pressing Pay again changes nothing.
    client.post(
        f"/pay/demo/{order.provider_session_id}/pay",
        data={"csrf_token": csrf_token(client, f"/orders/{order.ref}")},
    )
    assert count(Certificate) == 1

    detail = client.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert certificate.public_id in detail and "/sites/CLS-JN/plots/A-01" in detail
    plot_page = client.get("/sites/CLS-JN/plots/A-01").get_data(as_text=True)
    assert "林小树" in plot_page and "欢迎你，小禾" in plot_page
    verify = client.get(f"/v/{certificate.public_id}").get_data(as_text=True)
    assert 'href="/sites/CLS-JN/plots/A-01"' in verify
    assert "并非对碳排放的抵消" in verify

    # The receipt says what was bought and that it is not an offset.
    mails = list(Path(app.config["MAIL_OUTBOX"]).glob("*.eml"))
    assert len(mails) == 1
    text = mails[0].read_bytes().decode("utf-8", "replace")
    assert order.ref in text

    # The certificate PDF renders (once) for its owner and for nobody else.
    pdf = client.get(f"/certificates/{certificate.public_id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_account_counts_sponsorship_as_contribution_not_offset(
    client, make_plot, buyer, auth, make_user
):
    make_plot("A-01")
    pay(client, start(client))
    page = client.get("/account/plots").get_data(as_text=True)
    assert "A-01" in page and "¥600.00" in page
    assert "0 t CO2e" in page or "0.000 t CO2e" in page or "0.00 t CO2e" in page
    assert "not counted as an offset" in page or "不计为" in page or "不算作" in page
    make_user("resident", email="other@example.cn")
    auth.logout()
    auth.login("other@example.cn")
    assert "A-01" not in client.get("/account/plots").get_data(as_text=True)


def test_a_second_buyer_is_told_the_plot_is_taken_and_nothing_is_created(
    client, make_plot, buyer, auth, make_user
):
    make_plot("A-01")
    make_plot("A-02")
    start(client)
    make_user("resident", email="second@example.cn")
    auth.logout()
    auth.login("second@example.cn")
    # The plot is no longer offered, and posting it anyway is refused with a clear message.
    assert 'value="A-01"' not in client.get(PAGE).get_data(as_text=True)
    response = client.post(PAGE, data=form(client, plots=["A-01", "A-02"]))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "A-01" in html and (
        "No longer available" in html or "已不可认养" in html or "不再" in html
    )
    assert count(Order) == 1
    assert plot("A-02").status is PlotStatus.AVAILABLE


def test_cancel_releases_the_plots(client, make_plot, buyer):
    make_plot("A-01")
    order = start(client)
    token = csrf_token(client, f"/orders/{order.ref}")
    client.post(f"/orders/{order.ref}/cancel", data={"csrf_token": token})
    assert fresh(order).status is OrderStatus.CANCELLED
    released = plot("A-01")
    assert released.status is PlotStatus.AVAILABLE and released.holder_ref is None


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"plots": []}, ("choose at least one plot", "请至少选择")),
        ({"message": "长" * 121}, ("at most 120 characters", "120")),
        ({"sponsor_name": ""}, ("sponsor's name", "认养人")),
        ({"plots": ["Z-99"]}, ("No longer available", "Z-99")),
        ({"dedication": "party"}, ("Not a valid choice", "选择")),
        ({"method": "bank_transfer"}, ("Not a valid choice", "不是有效的选择")),
    ],
    ids=["no-plot", "long-message", "no-name", "unknown-plot", "bad-dedication", "transfer"],
)
def test_bad_input_is_refused_and_nothing_is_held(client, make_plot, buyer, fields, expected):
    make_plot("A-01")
    response = client.post(PAGE, data=form(client, **fields))
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert any(e in html for e in expected), html[:4000]
    assert count(Order) == 0
    assert plot("A-01").status is PlotStatus.AVAILABLE


def test_residents_cannot_sponsor_for_a_list_of_names(client, make_plot, buyer):
    make_plot("A-01")
    response = client.post(PAGE, data=form(client, names="张三"))
    assert response.status_code == 400
    assert count(Order) == 0


@pytest.fixture
def organiser(make_user, auth):
    user = make_user("organiser", email="org@example.cn", name="泰安市某某公司")
    auth.login("org@example.cn")
    return user


def test_group_sponsorship_from_a_csv_names_each_plot(client, make_plot, organiser):
    for code in ("A-01", "A-02", "A-03", "A-04"):
        make_plot(code)
    csv = "姓名\n张三\n李四\nWang Wu\n".encode()
    data = form(
        client,
        plots=[],
        sponsor_name="泰安市某某公司",
        privacy="initials",
        dedication="company",
        message="2027 植树节",
        names_file=(io.BytesIO(csv), "names.csv"),
    )
    del data["confirm"]
    preview = client.post(PAGE, data=data, content_type="multipart/form-data")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html[:3000]
    assert "¥1,800.00" in html and "Wang Wu" in html
    assert count(Order) == 0

    # The preview filled in the plots and the names; confirming takes exactly those.
    order = start(
        client,
        plots=["A-01", "A-02", "A-03"],
        sponsor_name="泰安市某某公司",
        privacy="initials",
        dedication="company",
        message="2027 植树节",
        names="张三\n李四\nWang Wu",
    )
    assert [(i.plot.code, i.sponsor_name) for i in order.plot_items] == [
        ("A-01", "张三"),
        ("A-02", "李四"),
        ("A-03", "Wang Wu"),
    ]
    order = pay(client, order)
    certificates = db.session.scalars(select(Certificate).order_by(Certificate.plot_code)).all()
    assert [(c.plot_code, c.holder_name, c.holder_public) for c in certificates] == [
        ("A-01", "张三", "张*"),
        ("A-02", "李四", "李*"),
        ("A-03", "Wang Wu", "W. W."),
    ]
    assert all(c.owner_id == organiser.id for c in certificates)
    assert plot("A-02").sponsor_public == "李*"
    assert plot("A-04").status is PlotStatus.AVAILABLE
    entry = db.session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "sponsorship")).one()
    assert "张三" not in str(entry.body) and "张*" in str(entry.body)


def test_group_list_must_match_the_chosen_plots(client, make_plot, organiser):
    make_plot("A-01")
    make_plot("A-02")
    response = client.post(PAGE, data=form(client, plots=["A-01"], names="张三\n李四"))
    assert response.status_code == 400
    assert "2" in response.get_data(as_text=True)
    assert count(Order) == 0


def test_a_bad_csv_is_refused_line_by_line(client, make_plot, organiser):
    make_plot("A-01")
    make_plot("A-02")
    csv = "张三\n李\u202e四\n王五,12,x\n".encode()
    data = form(client, plots=[], names_file=(io.BytesIO(csv), "names.csv"))
    response = client.post(PAGE, data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert ("Line 2" in html or "第 2" in html) and ("Line 3" in html or "第 3" in html)
    assert count(Order) == 0
    assert plot("A-01").status is PlotStatus.AVAILABLE


def test_more_names_than_free_plots_is_refused(client, make_plot, organiser):
    make_plot("A-01")
    response = client.post(PAGE, data=form(client, plots=[], names="张三\n李四"))
    assert response.status_code == 400
    assert count(Order) == 0


def settle_late(client, order: Order) -> str:
    """The provider's late confirmation (e.g. async_payment_succeeded) goes through settle()."""
    from webapp.services import keys
    from webapp.services.payments import notifications as events
    from webapp.services.payments.demo_provider import DemoProvider

    config = client.application.config
    key, _ = keys.signing(config)
    outcome = events.settle(db.session, DemoProvider(config), fresh(order), key=key, source="t")
    db.session.commit()
    return outcome.result


def test_expired_hold_releases_and_a_late_payment_takes_the_plot_again(
    client, make_plot, buyer, runner
):
    make_plot("A-01")
    order = start(client)
    order.expires_at = order.created_at - timedelta(minutes=1)
    db.session.commit()
    result = runner.invoke(args=["payments", "reconcile"])
    assert f"{order.ref}: expired" in result.output
    assert plot("A-01").status is PlotStatus.AVAILABLE
    # The money arrives after all: the plot is still free, so the sponsorship is honoured.
    checkout = db.session.get(DemoCheckout, order.provider_session_id)
    checkout.status, checkout.payment_status = "complete", "paid"
    db.session.commit()
    assert settle_late(client, order) == "fulfilled"
    order = fresh(order)
    assert order.status is OrderStatus.PAID
    assert plot("A-01").status is PlotStatus.SPONSORED
    assert count(Certificate) == 1


def test_late_payment_for_a_plot_taken_meanwhile_is_flagged_not_oversold(
    client, make_plot, buyer, auth, make_user, runner
):
    make_plot("A-01")
    order = start(client)
    order.expires_at = order.created_at - timedelta(minutes=1)
    db.session.commit()
    runner.invoke(args=["payments", "reconcile"])
    make_user("resident", email="second@example.cn")
    auth.logout()
    auth.login("second@example.cn")
    winner = pay(client, start(client, sponsor_name="王二"))
    assert winner.status is OrderStatus.PAID
    checkout = db.session.get(DemoCheckout, order.provider_session_id)
    checkout.status, checkout.payment_status = "complete", "paid"
    db.session.commit()
    assert settle_late(client, order) == "unfulfillable"
    order = fresh(order)
    assert order.status is OrderStatus.EXPIRED and order.problem and "refund" in order.problem
    assert plot("A-01").sponsor_name == "王二"
    assert count(Certificate) == 1


def test_refund_frees_an_unplanted_plot_and_revokes_its_certificate(
    client, make_plot, buyer, auth, make_user
):
    make_plot("A-01")
    order = pay(client, start(client))
    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    page = f"/admin/orders/{order.ref}"
    response = client.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(client, page), "reason": "changed mind"},
    )
    assert response.status_code == 302
    assert fresh(order).status is OrderStatus.REFUNDED
    freed = plot("A-01")
    assert freed.status is PlotStatus.AVAILABLE
    assert freed.sponsor_name is None and freed.holder_ref is None
    assert db.session.scalars(select(Certificate)).one().status is CertificateStatus.REVOKED
    assert count(LedgerEntry) >= 2
    kinds = db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.seq)).all()
    assert kinds[-1] == "sponsorship_withdrawn"
    # Refunding again adds nothing.
    client.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(client, page), "reason": "x"},
    )
    again = db.session.scalars(select(LedgerEntry.kind).order_by(LedgerEntry.seq)).all()
    assert again == kinds


def test_refund_of_a_planted_plot_keeps_the_trees_but_hides_the_name(
    client, make_plot, buyer, auth, make_user
):
    make_plot("A-01")
    order = pay(client, start(client))
    planted = plot("A-01")
    planted.status = PlotStatus.PLANTED
    planted.planted_on = planted.sponsored_at.date()
    db.session.commit()
    make_user("admin", email="staff@example.cn")
    auth.logout()
    auth.login("staff@example.cn")
    page = f"/admin/orders/{order.ref}"
    client.post(
        f"{page}/refund",
        data={"confirmed": "1", "csrf_token": csrf_token(client, page), "reason": "asked"},
    )
    kept = plot("A-01")
    assert kept.status is PlotStatus.PLANTED
    assert kept.sponsor_public is None and kept.sponsor_privacy is Privacy.ANONYMOUS
    assert kept.dedication_message is None
    assert "林小树" not in client.get("/sites/CLS-JN/plots/A-01").get_data(as_text=True)


def test_bank_transfer_sponsorship_needs_two_staff(client, make_plot, organiser, auth, make_user):
    make_plot("A-01")
    order = start(client, method="bank_transfer", invoice_title="泰安市某某公司")
    assert order.method.value == "bank_transfer" and order.provider_session_id is None
    assert plot("A-01").status is PlotStatus.RESERVED
    page = client.get(f"/orders/{order.ref}").get_data(as_text=True)
    assert "地块为您保留至" in page and "认养才会登记" in page
    assert "碳汇额度" not in page and "注销" not in page  # nothing about credits being retired
    for email in ("staff1@example.cn", "staff2@example.cn"):
        make_user("admin", email=email)
    auth.logout()
    auth.login("staff1@example.cn")
    page = f"/admin/orders/{order.ref}"
    client.post(
        f"{page}/transfer/record",
        data={"csrf_token": csrf_token(client, page), "amount": "600.00", "reference": "BANK-1"},
    )
    assert fresh(order).status is OrderStatus.PENDING
    auth.logout()
    auth.login("staff2@example.cn")
    confirmed = client.post(
        f"{page}/transfer/confirm", data={"csrf_token": csrf_token(client, page)}
    )
    assert "地块认养成功" in client.get(confirmed.headers["Location"]).get_data(as_text=True)
    assert fresh(order).status is OrderStatus.PAID
    assert plot("A-01").status is PlotStatus.SPONSORED


RACERS = 8


def test_buyers_racing_for_one_plot_through_the_page_produce_one_sponsor(
    app, make_plot, make_user, tmp_path
):
    """Eight signed-in buyers press "Confirm and pay" for the same plot at once, each on
    its own connection: one order holds the plot, the others are told it is taken and get
    nothing; paying the winner makes exactly one sponsor."""
    import threading

    from tests.support.app import build_app
    from webapp.services import keys
    from webapp.services.payments import notifications as events
    from webapp.services.payments.demo_provider import DemoProvider

    make_plot("A-01")
    for i in range(RACERS):
        make_user("resident", email=f"racer{i}@example.cn")
    db.session.rollback()
    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "workers",
        # Servers share the signing key: the heads they publish verify with it.
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": RACERS + 2, "max_overflow": 0, "pool_timeout": 60},
    )
    start_line = threading.Barrier(RACERS)
    results: dict[int, tuple[int, str]] = {}
    errors: list[BaseException] = []

    def racer(i: int) -> None:
        try:
            client = worker_app.test_client()
            token = csrf_token(client, "/account/login")
            client.post(
                "/account/login",
                data={
                    "csrf_token": token,
                    "email": f"racer{i}@example.cn",
                    "password": "correct-horse-9",
                },
            )
            data = form(client, sponsor_name=f"Racer {i}")
            start_line.wait(timeout=60)
            response = client.post(PAGE, data=data)
            results[i] = (response.status_code, response.get_data(as_text=True))
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=racer, args=(i,)) for i in range(RACERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    with worker_app.app_context():
        db.engine.dispose()
    assert not errors, errors
    codes = sorted(code for code, _ in results.values())
    assert codes == [302] + [400] * (RACERS - 1), codes
    for code, html in results.values():
        if code == 400:
            assert "A-01" in html and ("No longer available" in html or "已不可" in html)
    assert count(Order) == 1

    order = db.session.scalars(select(Order)).one()
    key, _ = keys.signing(app.config)
    provider = DemoProvider(app.config)
    provider.pay(db.session, order.provider_session_id)
    outcome = events.settle(db.session, provider, order, key=key, source="test")
    db.session.commit()
    assert outcome.result == "fulfilled"
    sponsored = plot("A-01")
    assert sponsored.status is PlotStatus.SPONSORED
    assert sponsored.sponsor_user_id == order.user_id
    assert count(Certificate) == 1
