"""Issue 19 part 3: a duty certificate (义务植树尽责证明) can be revoked — by staff with a note,
or automatically in the transaction of a refund of an order it counted — and from then on
every place it is checked says REVOKED, with the reason in words and the local date."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from tests.support.app import IsolatedClient, csrf_token
from tests.support.revocation import two_servers
from tests.support.words import Scanner, eml_texts
from webapp import localtime
from webapp.extensions import db
from webapp.models import (
    AuditRecord,
    DutyCertificate,
    DutyRevocationReason,
    Order,
    OrderStatus,
    Plot,
    PlotStatus,
)
from webapp.services import keys, orders
from webapp.services.planting import duty

SPONSOR = "/sites/CLS-JN/sponsor"
ADMIN = "/admin/duty-certificates"


# ---- helpers ---------------------------------------------------------------------------


def _year() -> int:
    return localtime.today().year


def _issue(client) -> DutyCertificate:
    """The holder downloads the year's certificate (issued, or the standing one again)."""
    response = client.get(f"/account/duty/{_year()}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    public_id = re.search(r"tanhui-duty-\d{4}-([0-9A-Z]+)\.pdf", response.headers[
        "Content-Disposition"
    ]).group(1)  # fmt: skip
    return _fresh(public_id)


def _fresh(public_id: str) -> DutyCertificate:
    db.session.expire_all()
    return db.session.scalar(select(DutyCertificate).where(DutyCertificate.public_id == public_id))


def _check_path(app, certificate: DutyCertificate) -> str:
    """The path the certificate's QR code leads to (``/D/…``)."""
    key, _keyring = keys.signing(app.config)
    text = duty.qr_text(app.config["BASE_URL"], key, certificate)
    return text[len(app.config["BASE_URL"]) :]


def _verdict(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200
    return re.search(r'data-verdict="(\w+)"', response.get_data(as_text=True)).group(1)


def _sponsor(client, plot_code: str) -> Order:
    """Sponsor a plot through the sponsorship page and pay with the demo button."""
    data = {
        "csrf_token": csrf_token(client, SPONSOR),
        "plots": [plot_code],
        "sponsor_name": "林小树",
        "privacy": "full",
        "dedication": "birth",
        "message": "欢迎你，小禾",
        "method": "demo",
        "confirm": "1",
    }
    response = client.post(SPONSOR, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    ref = re.search(r"/orders/(TH[0-9A-Z]{8})", response.headers["Location"]).group(1)
    order = orders.find(db.session, ref)
    token = csrf_token(client, f"/pay/demo/{order.provider_session_id}")
    paid = client.post(f"/pay/demo/{order.provider_session_id}/pay", data={"csrf_token": token})
    assert paid.status_code == 302
    db.session.expire_all()
    order = db.session.get(Order, order.id)
    assert order.status is OrderStatus.PAID
    return order


def _as(auth, email: str) -> None:
    auth.logout()
    auth.login(email)


def _refund(client, order: Order, *, confirmed: bool = True):
    page = f"/admin/orders/{order.ref}"
    data = {"csrf_token": csrf_token(client, page), "reason": "买家申请退款"}
    if confirmed:
        data["confirmed"] = "1"
    return client.post(f"{page}/refund", data=data)


def _revoke(client, public_id: str, note: str, *, confirmed: bool):
    data = {"csrf_token": csrf_token(client, ADMIN), "note": note}
    if confirmed:
        data["confirmed"] = "1"
    return client.post(f"{ADMIN}/{public_id}/revoke", data=data)


def _state(certificate: DutyCertificate) -> tuple:
    return (
        certificate.revoked_at,
        certificate.revocation_reason,
        certificate.revoked_by_id,
        certificate.revocation_note,
    )


@pytest.fixture
def holder(make_user, auth):
    user = make_user("resident", email="lin@example.cn", name="林小树")
    auth.login("lin@example.cn")
    return user


@pytest.fixture
def staff(make_user):
    return make_user("admin", email="staff@example.cn", name="管理员")


# ---- staff revocation ------------------------------------------------------------------


def test_staff_revoke_is_confirmed_first_then_every_check_says_revoked(
    app, english, auth, holder, staff, make_plot, sponsor_plot
):
    sponsor_plot(make_plot("D-01"), holder)  # ¥600 at ¥20 a tree: 30 trees, no order
    certificate = _issue(english)
    path = _check_path(app, certificate)
    assert _verdict(english, path) == "valid"

    _as(auth, "staff@example.cn")
    found = english.get(f"{ADMIN}?id={certificate.public_id.lower()}")
    page = found.get_data(as_text=True)
    assert found.status_code == 200 and certificate.public_id in page
    assert "林**" in page and "林小树" not in page  # the holder masked, as on the check page
    assert "30 (planted 0, converted 30)" in page and str(_year()) in page

    # First step: the confirmation page, nothing revoked yet.
    asked = _revoke(english, certificate.public_id, "重复申报，记录有误", confirmed=False)
    body = asked.get_data(as_text=True)
    assert asked.status_code == 200 and f"Revoke duty certificate {certificate.public_id}?" in body
    assert "林**" in body and "林小树" not in body and "30 (planted 0, converted 30)" in body
    assert "重复申报，记录有误" in body and 'name="confirmed" value="1"' in body
    assert _fresh(certificate.public_id).revoked_at is None
    assert _verdict(english, path) == "valid"

    # Second step: the page's button.
    done = _revoke(english, certificate.public_id, "重复申报，记录有误", confirmed=True)
    assert done.status_code == 302
    revoked = _fresh(certificate.public_id)
    assert revoked.revocation_reason is DutyRevocationReason.STAFF
    assert revoked.revoked_by_id == staff.id and revoked.revocation_note == "重复申报，记录有误"
    today = localtime.local_date(revoked.revoked_at).isoformat()
    audit = db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "duty_certificate.revoked")
    )
    assert audit is not None and audit.actor_id == staff.id

    # The check page (same process), in words and with the local date.
    auth.logout()
    check = english.get(path)
    text = check.get_data(as_text=True)
    assert check.status_code == 200 and 'data-verdict="revoked"' in text and "VALID" not in text
    assert f"Revoked on {today}." in text
    assert "Revoked by the registry&#39;s staff: 重复申报，记录有误" in text
    # The JSON says so too.
    data = english.get(f"/api/v1/duty-certificates/{certificate.public_id}").get_json()
    assert data["status"] == "revoked" and data["revocation"]["reason"] == "staff"
    assert data["revocation"]["revoked_on"] == today
    assert "重复申报，记录有误" in data["revocation"]["reason_text_en"]
    assert data["holder_public"] == "林**" and "林小树" not in str(data)

    # The holder's page shows it revoked and offers a new one; the new one stands.
    auth.login("lin@example.cn")
    account = english.get(f"/account/duty?year={_year()}").get_data(as_text=True)
    assert certificate.public_id in account and f"Revoked on {today}." in account
    assert "Download a new duty certificate (PDF)" in account
    renewed = _issue(english)
    assert renewed.public_id != certificate.public_id and renewed.revoked_at is None
    assert renewed.total_trees == 30
    assert _verdict(english, _check_path(app, renewed)) == "valid"
    assert _verdict(english, path) == "revoked"

    # The holder was told by e-mail after the commit.
    mails = [
        t for _n, t in eml_texts(Path(app.config["MAIL_OUTBOX"])) if certificate.public_id in t
    ]
    assert len(mails) == 1 and "lin@example.cn" not in mails[0]
    # In the account's language (Chinese by default), with the reason and where to go next.
    assert f"尽责证明 {certificate.public_id} 已撤销" in mails[0]
    assert "重复申报，记录有误" in mails[0] and f"/account/duty?year={_year()}" in mails[0]


def test_staff_revoke_refuses_bad_input_clearly_and_changes_nothing(
    app, client, english, auth, holder, staff
):
    certificate = _issue(english)
    _as(auth, "staff@example.cn")

    unknown = english.get(f"{ADMIN}?id=ZZZZZZZZZZ")
    assert unknown.status_code == 404
    assert "No duty certificate has the number ZZZZZZZZZZ." in unknown.get_data(as_text=True)
    assert _revoke(english, "ZZZZZZZZZZ", "note", confirmed=True).status_code == 404

    empty = _revoke(english, certificate.public_id, "   ", confirmed=True)
    assert empty.status_code == 400
    assert "Please say why the certificate is revoked" in empty.get_data(as_text=True)
    long = _revoke(english, certificate.public_id, "x" * 201, confirmed=True)
    assert long.status_code == 400
    assert _fresh(certificate.public_id).revoked_at is None

    assert _revoke(english, certificate.public_id, "信息有误", confirmed=True).status_code == 302
    before = _state(_fresh(certificate.public_id))
    again = _revoke(english, certificate.public_id, "another note", confirmed=True)
    text = again.get_data(as_text=True)
    day = localtime.local_date(before[0]).isoformat()
    assert again.status_code == 409
    assert f"Duty certificate {certificate.public_id} was already revoked on {day}" in text
    assert "nothing was changed" in text
    # Not even a confirmation page for a revoked certificate.
    unconfirmed = _revoke(english, certificate.public_id, "another note", confirmed=False)
    assert unconfirmed.status_code == 409
    assert _state(_fresh(certificate.public_id)) == before

    # In Chinese (the default language), the same refusals read as Chinese.
    client.set_cookie("lang", "zh")
    zh = _revoke(client, certificate.public_id, "另一个说明", confirmed=True)
    assert zh.status_code == 409
    assert f"尽责证明 {certificate.public_id} 已于 {day} 撤销，此次未作任何更改。" in zh.get_data(
        as_text=True
    )
    assert "没有编号为 ZZZZZZZZZZ 的尽责证明。" in client.get(f"{ADMIN}?id=zzzzz-zzzzz").get_data(
        as_text=True
    )
    assert _state(_fresh(certificate.public_id)) == before


def test_only_staff_can_revoke(english, auth, holder):
    certificate = _issue(english)
    assert english.get(ADMIN).status_code == 403
    refused = english.post(
        f"{ADMIN}/{certificate.public_id}/revoke",
        data={"csrf_token": csrf_token(english, "/account/duty"), "note": "x", "confirmed": "1"},
    )
    assert refused.status_code == 403
    assert _fresh(certificate.public_id).revoked_at is None


def test_the_database_refuses_a_revocation_without_its_reason_or_person(holder, staff):
    certificate = duty.issue(db.session, holder, _year(), {})[0]
    db.session.commit()
    bad = [
        {"revoked_at": certificate.issued_at},  # no reason
        {"revocation_reason": DutyRevocationReason.REFUNDED},  # no time
        {  # staff without a person
            "revoked_at": certificate.issued_at,
            "revocation_reason": DutyRevocationReason.STAFF,
            "revocation_note": "x",
        },
        {  # staff without a note
            "revoked_at": certificate.issued_at,
            "revocation_reason": DutyRevocationReason.STAFF,
            "revoked_by_id": staff.id,
        },
        {  # automatic, yet naming someone
            "revoked_at": certificate.issued_at,
            "revocation_reason": DutyRevocationReason.REFUNDED,
            "revoked_by_id": staff.id,
        },
    ]
    for values in bad:
        for name, value in values.items():
            setattr(certificate, name, value)
        with pytest.raises(IntegrityError):
            db.session.flush()
        db.session.rollback()
        certificate = db.session.get(DutyCertificate, certificate.id)


# ---- refunds ---------------------------------------------------------------------------


def test_refund_of_a_counted_sponsorship_revokes_in_the_same_transaction(
    app, english, auth, holder, staff, make_plot
):
    make_plot("A-01")
    make_plot("A-02")
    counted = _sponsor(english, "A-01")
    certificate = _issue(english)
    assert (certificate.trees_converted, certificate.total_trees) == (30, 30)
    later = _sponsor(english, "A-02")  # paid after the certificate: not counted on it
    path = _check_path(app, certificate)

    _as(auth, "staff@example.cn")
    # The refund of the later order leaves the certificate standing (its figures hold).
    confirm_later = _refund(english, later, confirmed=False).get_data(as_text=True)
    assert 'id="confirm-duty-certificates"' not in confirm_later
    assert _refund(english, later).status_code == 302
    assert _fresh(certificate.public_id).revoked_at is None
    assert _verdict(english, path) == "valid"

    # The confirmation page of the counted order's refund names the duty certificate.
    confirm = _refund(english, counted, confirmed=False).get_data(as_text=True)
    assert re.search(rf'id="confirm-duty-certificates">{certificate.public_id}<', confirm), confirm[
        -3000:
    ]
    assert _fresh(certificate.public_id).revoked_at is None
    assert _refund(english, counted).status_code == 302

    db.session.expire_all()
    order = db.session.get(Order, counted.id)
    revoked = _fresh(certificate.public_id)
    assert order.status is OrderStatus.REFUNDED
    assert revoked.revocation_reason is DutyRevocationReason.REFUNDED
    assert revoked.revoked_by_id is None and revoked.revocation_note is None
    assert revoked.revoked_at == order.refunded_at  # one transaction, one moment
    audit = db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "duty_certificate.revoked")
    )
    assert audit.details["order"] == counted.ref and audit.actor_id is None

    # Said everywhere at once.
    auth.logout()
    text = english.get(path).get_data(as_text=True)
    assert 'data-verdict="revoked"' in text and "A payment counted on it was refunded" in text
    data = english.get(f"/api/v1/duty-certificates/{certificate.public_id}").get_json()
    assert data["status"] == "revoked" and data["revocation"]["reason"] == "refunded"
    assert data["revocation"]["reason_text_zh"].startswith("计入其中的一笔付款已退款")
    auth.login("lin@example.cn")
    account = english.get("/account/duty").get_data(as_text=True)
    assert "A payment counted on it was refunded" in account
    assert "0 trees in" in account  # both sponsorships refunded: nothing counts now
    assert "Download a new duty certificate (PDF)" in account
    renewed = _issue(english)
    assert renewed.public_id != certificate.public_id and renewed.total_trees == 0


def test_a_refund_that_fails_leaves_the_duty_certificate_standing(
    app, english, auth, holder, staff, make_plot, monkeypatch
):
    make_plot("A-01")
    counted = _sponsor(english, "A-01")
    certificate = _issue(english)
    _as(auth, "staff@example.cn")

    from webapp.services.payments import refunds
    from webapp.unit_of_work import committing

    def broken(*_args, **_kwargs):
        raise RuntimeError("the refund failed after the duty certificate was revoked")

    monkeypatch.setattr(refunds.orders, "order_transition", broken)
    with pytest.raises(RuntimeError), committing(db.session):
        refunds.apply_refund(
            db.session,
            db.session.get(Order, counted.id),
            reason="test",
            actor=staff,
            refund_id=None,
        )
    monkeypatch.undo()
    db.session.expire_all()
    assert db.session.get(Order, counted.id).status is OrderStatus.PAID
    assert _fresh(certificate.public_id).revoked_at is None
    assert _verdict(english, _check_path(app, certificate)) == "valid"


def test_a_refunded_sponsorship_of_a_planted_plot_no_longer_counts(
    app, english, auth, holder, staff, make_plot
):
    make_plot("A-01")
    counted = _sponsor(english, "A-01")
    plot = db.session.scalar(select(Plot).where(Plot.code == "A-01"))
    plot.status = PlotStatus.PLANTED
    plot.planted_on = localtime.today()
    db.session.commit()
    certificate = _issue(english)
    assert certificate.total_trees == 30
    _as(auth, "staff@example.cn")
    assert _refund(english, counted).status_code == 302
    assert _fresh(certificate.public_id).revocation_reason is DutyRevocationReason.REFUNDED
    _as(auth, "lin@example.cn")
    # The trees stand, but the sponsorship was refunded: it counts nothing now.
    assert f"0 trees in {_year()}" in english.get("/account/duty").get_data(as_text=True)
    assert _issue(english).total_trees == 0


def test_refund_revocation_only_touches_the_buyers_certificates_of_that_year(
    app, english, auth, holder, staff, make_plot, make_user
):
    """Another account's certificate, and the holder's certificate of another year, stand."""
    other = make_user("resident", email="other@example.cn", name="王大树")
    make_plot("A-01")
    counted = _sponsor(english, "A-01")
    theirs = duty.issue(db.session, other, _year(), {})[0]  # issued after the payment too
    mine = _issue(english)
    earlier = duty.issue(db.session, holder, _year() - 1, {})[0]
    db.session.commit()
    ids = (theirs.public_id, earlier.public_id)
    _as(auth, "staff@example.cn")
    assert _refund(english, counted).status_code == 302
    assert _fresh(mine.public_id).revoked_at is not None
    assert [_fresh(i).revoked_at for i in ids] == [None, None]


def test_provider_refund_notice_revokes_the_duty_certificate(app, english, auth, holder, make_plot):
    """A refund made at the provider (Stripe ``charge.refunded``, WeChat Pay, Alipay) reaches
    ``notifications`` → ``refunds.apply_refund`` with nobody acting: the same revocation."""
    from webapp.services.payments import refunds
    from webapp.unit_of_work import committing

    make_plot("A-01")
    counted = _sponsor(english, "A-01")
    certificate = _issue(english)
    with committing(db.session):
        refunds.apply_refund(
            db.session,
            db.session.get(Order, counted.id),
            reason="refunded at the payment provider",
            actor=None,
            refund_id=None,
        )
    revoked = _fresh(certificate.public_id)
    assert revoked.revocation_reason is DutyRevocationReason.REFUNDED
    assert revoked.revoked_by_id is None
    assert _verdict(english, _check_path(app, certificate)) == "revoked"


# ---- no stale "valid" anywhere ---------------------------------------------------------


def _answers(app, client, certificate: DutyCertificate) -> dict[str, str]:
    path = _check_path(app, certificate)
    json = client.get(f"/api/v1/duty-certificates/{certificate.public_id}").get_json()
    return {"page": _verdict(client, path), "json": json["status"]}


def test_every_server_says_revoked_as_soon_as_the_refund_commits(
    app, make_app, english, auth, holder, staff, make_plot
):
    servers = two_servers(app, make_app)
    make_plot("A-01")
    counted = _sponsor(english, "A-01")
    certificate = _issue(english)
    clients = [(name, c) for name, c in servers.clients()]
    # Each server answers once before (anything it might keep, it now has).
    for name, client in clients:
        assert _answers(servers.first if name == "first" else servers.second, client,
                        certificate) == {"page": "valid", "json": "valid"}  # fmt: skip
    _as(auth, "staff@example.cn")
    assert _refund(english, counted).status_code == 302
    for name, client in clients:
        server = servers.first if name == "first" else servers.second
        assert _answers(server, client, certificate) == {"page": "revoked", "json": "revoked"}
    second = IsolatedClient(servers.second, servers.second.response_class, use_cookies=True)
    second.set_cookie("lang", "en")
    response = second.get(_check_path(app, certificate))
    assert response.headers["Cache-Control"] == "no-cache"


def test_the_api_answers_404_for_an_unknown_duty_certificate(client):
    response = client.get("/api/v1/duty-certificates/ZZZZZZZZZZ")
    assert response.status_code == 404 and response.get_json()["error"]["status"] == 404


# ---- human words -----------------------------------------------------------------------


def test_new_pages_and_the_e_mail_speak_human_words_in_both_languages(
    app, client, auth, holder, staff, make_plot, sponsor_plot
):
    """The admin pages, the confirmation page, the check page, the account page and the
    e-mails of both reasons, in Chinese and in English."""
    make_plot("A-01")
    sponsor_plot(make_plot("D-01"), holder)
    counted = _sponsor(client, "A-01")
    by_refund = _issue(client)
    _as(auth, "staff@example.cn")
    assert _refund(client, counted).status_code == 302
    _as(auth, "lin@example.cn")
    by_staff = _issue(client)
    _as(auth, "staff@example.cn")
    note = "重复申报，记录有误"
    names = {"林小树", "林**", "管理员", note, "碳汇", "Tanhui", "CLS-JN"}
    scanner = Scanner(names)
    for lang in ("zh", "en"):
        client.set_cookie("lang", lang)
        confirm = _revoke(client, by_staff.public_id, note, confirmed=False)
        assert confirm.status_code == 200
        scanner.scan_page(confirm.get_data(as_text=True), lang, f"confirm ({lang})")
    assert _revoke(client, by_staff.public_id, note, confirmed=True).status_code == 302
    client.get(ADMIN)  # the flash message, said in the language of the revoking request
    pages = {
        "staff": [ADMIN, f"{ADMIN}?id={by_staff.public_id}", f"{ADMIN}?id={by_refund.public_id}"],
        "public": [_check_path(app, by_staff), _check_path(app, by_refund)],
        "holder": ["/account/duty"],
    }
    seen = 0
    for lang in ("zh", "en"):
        client.set_cookie("lang", lang)
        for who, paths in pages.items():
            if who == "public":
                auth.logout()
            elif who == "holder":
                auth.login("lin@example.cn")
            for path in paths:
                response = client.get(path)
                assert response.status_code == 200, path
                scanner.scan_page(response.get_data(as_text=True), lang, f"{path} ({lang})")
                seen += 1
        _as(auth, "staff@example.cn")
    mails = [
        (n, t)
        for n, t in eml_texts(Path(app.config["MAIL_OUTBOX"]))
        if by_staff.public_id in t or by_refund.public_id in t
    ]
    assert len(mails) == 2
    for name, text in mails:
        scanner.scan(text, "zh", f"e-mail {name}")
    assert seen == 12
    assert scanner.problems == [], "\n".join(sorted(set(scanner.problems)))


# ---- a certificate issued while a refund commits ---------------------------------------


def test_a_certificate_issued_during_a_refund_waits_and_does_not_count_it(
    app, english, auth, holder, make_plot, tmp_path
):
    """On PostgreSQL the refund holds the account's row (revoke_for_refund) until it
    commits; issuing takes it too and reads the figures afterwards, so the refunded order
    is not counted. On SQLite writers are serialised (BEGIN IMMEDIATE) to the same end."""
    import threading
    import time

    from tests.support.app import build_app
    from webapp.models import User
    from webapp.services.payments import refunds

    make_plot("A-01")
    counted = _sponsor(english, "A-01")
    user_id = holder.id
    worker_app = build_app(
        app.config["SQLALCHEMY_DATABASE_URI"],
        tmp_path / "worker",
        SIGNING_KEY_FILE=app.config["SIGNING_KEY_FILE"],
    )
    issued: dict[str, int] = {}
    errors: list[BaseException] = []

    def issue() -> None:
        try:
            with worker_app.app_context():
                try:
                    user = db.session.get(User, user_id)
                    certificate, _record = duty.issue(db.session, user, _year(), app.config)
                    issued["total"] = certificate.total_trees
                    db.session.commit()
                finally:
                    db.session.remove()
                    db.engine.dispose()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    db.session.rollback()
    refunds.apply_refund(
        db.session, db.session.get(Order, counted.id), reason="test", actor=None, refund_id=None
    )  # flushed, not committed: the refund is in progress
    worker = threading.Thread(target=issue)
    worker.start()
    time.sleep(1.0)
    assert worker.is_alive() and not issued  # waiting for the refund's lock
    db.session.commit()
    worker.join(timeout=60)
    assert not errors, errors
    assert issued == {"total": 0}
