"""Human words everywhere: no page, PDF, CSV or e-mail — in either language — shows an
internal key, an enum value, a config name or a snake_case token; Chinese pages carry no
English fragment (names and units aside) and use full-width punctuation next to Chinese;
English pages carry no Chinese outside names and deliberate glosses.

The world is the demo data (``flask demo-data``) with what a demonstration accumulates: the
demo forum offset and trued up from its 4 survey answers, a resident's order paid and one
refunded (a revoked certificate), an organiser's bank-transfer order awaiting payment."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from tests.support.app import AuthActions, csrf_token
from tests.support.events import demo_pay, fresh, post, save_calculation, start_event_order
from tests.support.payments import pay_with_demo, start_donation, start_order
from tests.support.pdftools import pdftotext
from tests.support.words import Scanner, eml_texts
from webapp import localtime
from webapp.extensions import db
from webapp.models import (
    Allocation,
    Certificate,
    DutyCertificate,
    Event,
    MemorialSite,
    Order,
    OrderStatus,
    Plot,
    PlotUpdate,
    SinkProject,
    SiteSpecies,
    User,
)
from webapp.services import accounts
from webapp.services.events import demo as event_demo
from webapp.services.payments import gateway, refunds

LANGS = ("zh", "en")
PASSWORDS = {
    "admin": ("admin@tanhui.local", "demo-admin-2026"),
    "resident": ("resident@tanhui.local", "demo-resident-2026"),
    "organiser": ("organiser@tanhui.local", "demo-organiser-2026"),
    "ranger": ("ranger@tanhui.local", "demo-ranger-2026"),
}


_CLIENTS: dict[tuple[int, str | None], object] = {}
_WORLD: dict[str, str] = {}  # what _world made beyond its return value (the donation's ref)


def _client(app, who: str | None):
    """One logged-in client per role (logging in again would meet the rate limit)."""
    key = (id(app), who or f"anonymous-{len(_CLIENTS)}")
    if key in _CLIENTS:
        return _CLIENTS[key]
    client = app.test_client()
    _CLIENTS[key] = client
    if who:
        email, password = PASSWORDS[who]
        response = AuthActions(client).login(email, password)
        assert response.status_code == 302, who
    return client


def _names() -> set[str]:
    """What people typed or the registry names: shown as written, in any language."""
    names: set[str] = set()

    def add(*values: object) -> None:
        for value in values:
            if isinstance(value, str) and value.strip():
                names.add(value.strip())

    for user in db.session.scalars(select(User)):
        add(user.display_name, user.email)
    for p in db.session.scalars(select(SinkProject)):
        add(p.name_zh, p.name_en, p.city_zh, p.city_en, p.county_zh, p.county_en,
            p.developer_zh, p.developer_en, p.methodology, p.code)  # fmt: skip
    for s in db.session.scalars(select(MemorialSite)):
        add(s.name_zh, s.name_en, s.operator_zh, s.operator_en, s.county_zh, s.county_en,
            s.code)  # fmt: skip
    for sp in db.session.scalars(select(SiteSpecies)):
        add(sp.name_zh, sp.name_en, sp.scientific_name)
    for plot in db.session.scalars(select(Plot)):
        add(plot.sponsor_name, plot.sponsor_public, plot.dedication_message)
    for e in db.session.scalars(select(Event)):
        add(e.name, e.venue, e.city, e.organisation.name, e.code)
    for o in db.session.scalars(select(Order)):
        add(o.beneficiary_name, o.purpose_detail, o.case_number, o.court, o.invoice_title,
            o.dedication_message, o.ref)  # fmt: skip
    for a in db.session.scalars(select(Allocation)):
        add(a.beneficiary_name, a.beneficiary_public, a.purpose_detail, a.case_number, a.court)
    for u in db.session.scalars(select(PlotUpdate)):
        add(u.note)
    for o in db.session.scalars(select(Order)):
        add(o.refund_reason)  # the staff's words, shown as written
    for c in db.session.scalars(select(Certificate)):
        add(c.holder_name, c.holder_public)
    from flask import current_app

    from webapp.models import Loss, PlantingDay, PlantingParticipant
    from webapp.services.registry.privacy import initials

    for day in db.session.scalars(select(PlantingDay)):  # what staff typed for the day
        add(day.meeting_point, day.what_to_bring, day.safety_notes, day.code)
        add(day.proposal_note, day.decline_reason)  # an organiser's note, staff's reason
    for person in db.session.scalars(select(PlantingParticipant)):
        add(person.name, initials(person.name))
    for loss in db.session.scalars(select(Loss)):
        add(loss.note, loss.ref)
    for duty_certificate in db.session.scalars(select(DutyCertificate)):  # what staff typed
        add(duty_certificate.revocation_note)
    add(current_app.config["MERCHANT_NAME"])  # the payee's registered name
    for origin, _mode, _km in event_demo.ANSWERS:
        add(origin)
    add("碳汇", "Tanhui")  # the product's name in both languages
    return names


def _world(app, runner):
    """The demo data and a demonstration's worth of activity; returns what to visit."""
    _CLIENTS.clear()  # clients of an earlier test's app must not be reused
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    app.config["BANK_DEMO"] = True
    app.config["BANK_ACCOUNT_NUMBER"] = None
    event = db.session.scalar(select(Event).where(Event.name == event_demo.EVENT_NAME))
    organiser = _client(app, "organiser")
    manage = f"/events/{event.code}/manage"
    # A bank transfer awaiting payment (its page shows the demonstration account).
    response = post(
        organiser,
        f"/events/{event.code}/offset",
        {"method": "bank_transfer", "confirm": "1"},
        manage,
    )
    assert response.status_code == 302
    bank = db.session.scalar(
        select(Order).where(Order.event_id == event.id, Order.status == OrderStatus.PENDING)
    )
    bank_pages = dict.fromkeys(LANGS)
    for lang in LANGS:
        organiser.set_cookie("lang", lang)
        bank_pages[lang] = organiser.get(f"/orders/{bank.ref}").get_data(as_text=True)
    organiser.post(f"/orders/{bank.ref}/cancel",
                   data={"csrf_token": csrf_token(organiser, f"/orders/{bank.ref}")})  # fmt: skip
    organiser.set_cookie("lang", "zh")
    # The forum offset by the organiser, then trued up from its 4 answers.
    demo_pay(organiser, start_event_order(organiser, fresh(Event, event.id)))
    owner = accounts.find_by_email(db.session, PASSWORDS["organiser"][0])
    measured = {k: v for k, v in event_demo.ESTIMATE.items() if k != "travel"}
    actual = save_calculation(owner, measured, label="实际数据")
    choice = {"actual-calculation": actual.token, "actual-use_survey": "y"}
    response = post(organiser, f"/events/{event.code}/true-up", choice, manage)
    assert response.status_code == 302
    # A resident's orders: one paid (in English), one paid and refunded (revoked certificate).
    resident = _client(app, "resident")
    resident.set_cookie("lang", "en")
    kept = pay_with_demo(resident, start_order(resident, tonnes="1.2"))
    resident.set_cookie("lang", "zh")
    refunded = pay_with_demo(resident, start_order(resident, tonnes="0.5"))
    admin = accounts.find_by_email(db.session, PASSWORDS["admin"][0])
    provider = gateway.provider_for(app.config, refunded.method)
    refunds.refund_order(
        db.session, refunded, reason="买家申请退款", actor=admin, provider=provider
    )
    db.session.commit()
    assert kept.status is OrderStatus.PAID
    # Donations for planting (捐资造林): one paid in English (named), one in Chinese
    # (anonymous), so both receipts are scanned.
    resident.set_cookie("lang", "en")
    donation = pay_with_demo(resident, start_donation(resident, privacy="full"))
    resident.set_cookie("lang", "zh")
    pay_with_demo(resident, start_donation(resident, preset="other", amount="88.50"))
    assert donation.status is OrderStatus.PAID
    _WORLD["donation"] = donation.ref
    return event, kept, refunded, bank, bank_pages


def _paths(event, kept, refunded, bank) -> dict[str, list[str]]:
    certificates = {
        o.id: db.session.scalars(select(Certificate).where(Certificate.order_id == o.id)).all()
        for o in (kept, refunded)
    }
    event_certificates = db.session.scalars(
        select(Certificate)
        .join(Order, Certificate.order_id == Order.id)
        .where(Order.event_id == event.id)
    ).all()
    ids = [c.public_id for cs in certificates.values() for c in cs]
    ids += [c.public_id for c in event_certificates]
    site = db.session.scalar(select(MemorialSite).where(MemorialSite.code == "CLS-JN"))
    plot = db.session.scalars(select(Plot).where(Plot.site_id == site.id)).first()
    project = db.session.scalars(select(SinkProject).order_by(SinkProject.id)).first()
    public = [
        "/",
        "/projects",
        f"/projects/{project.code}",
        "/registry/retirements",
        "/registry/ledger",
        "/events",
        f"/events/{event.code}",
        f"/events/{event.code}/survey",
        "/footprint/household",
        "/footprint/event",
        # Not here: /footprint/methodology, the auditors' reference: the factor set's
        # description, notes and provenance exist in English only (shared/reference), and
        # its factor ids are the public identifiers. Its "used for" roles are in words.
        "/registry/losses",
        "/planting-days",
        "/planting-days/points",
        *[f"/planting-days/{code}" for code in _planting_day_codes(public=True)],
        "/account/phone",
        "/sites",
        f"/sites/{site.code}",
        f"/sites/{site.code}/plots/{plot.code}",
        "/v",
        "/account/login",
        "/account/register",
    ] + [f"/v/{public_id}" for public_id in ids]
    resident = [
        "/offset",
        f"/sites/{site.code}/sponsor",
        "/account",
        "/account/certificates",
        "/account/plots",
        "/orders/",
        "/footprint/history",
        "/account/duty",
        "/account/planting",
        f"/orders/{kept.ref}",
        f"/orders/{kept.ref}/receipt",
        f"/orders/{refunded.ref}",
        f"/orders/{refunded.ref}/receipt",
        f"/sites/{site.code}/donate",
        f"/orders/{_WORLD['donation']}",
        f"/orders/{_WORLD['donation']}/receipt",
    ]
    organiser = [
        "/account/planting-proposals",
        "/account/planting-proposals/new",
        f"/events/{event.code}/manage",
        f"/organisations/{event.organisation_id}",
        f"/orders/{bank.ref}",
    ]
    ranger = [
        "/scan",
        "/ranger",
        f"/ranger/sites/{site.code}",
        "/ranger/losses/new",
        "/planting-days/volunteering",
    ]
    admin = [
        "/admin/",
        "/admin/orders",
        f"/admin/orders/{refunded.ref}",
        f"/admin/orders/{bank.ref}",
        f"/admin/orders/{_WORLD['donation']}",
        "/admin/orders?kind=donation",
        "/admin/certificates/",
        "/admin/sites",
        f"/admin/sites/{site.code}",
        "/admin/rangers",
        f"/admin/projects/{project.code}/issuances",
        f"/admin/projects/{project.code}/monitoring",
        "/admin/losses",
        "/admin/planting-days",
        *[f"/admin/planting-days/{code}" for code in _planting_day_codes()],
    ]
    pdfs = {
        "resident": [f"/certificates/{public_id}.pdf" for public_id in ids[:2]]
        + [f"/account/duty/{localtime.today().year}.pdf"],
        "organiser": [f"/events/{event.code}/report.pdf", f"/events/{event.code}/poster.pdf"]
        + [f"/certificates/{c.public_id}.pdf" for c in event_certificates],
        "admin": [f"/sites/{site.code}/plaques.pdf", f"/sites/{site.code}/poster.pdf"],
    }
    csvs = {
        "organiser": [f"/events/{event.code}/report.csv"],
        # Not here: /registry/retirements.csv and /registry/ledger.csv, the public register's
        # open data (stable column names for re-use; the ledger's bodies are the hashed JSON
        # that anyone re-hashes to check the signed tree), like the JSON API; the same for
        # /registry/losses.csv.
        "admin": ["/admin/orders.csv"],
    }
    return {
        "public": public, "resident": resident, "organiser": organiser, "admin": admin,
        "ranger": ranger,
        "pdfs": pdfs, "csvs": csvs,
    }  # fmt: skip


def _duty_certificates(app) -> dict[str, list[str]]:
    """The demo resident's duty certificate of this year revoked by staff (its e-mail goes
    to the outbox) and the one issued after it: their check pages and the staff pages."""
    from webapp import localtime
    from webapp.services import keys
    from webapp.services.planting import duty, duty_revocation
    from webapp.unit_of_work import committing

    resident = accounts.find_by_email(db.session, PASSWORDS["resident"][0])
    admin = accounts.find_by_email(db.session, PASSWORDS["admin"][0])
    year = localtime.today().year
    with committing(db.session):
        revoked, _record = duty.issue(db.session, resident, year, app.config)
        duty_revocation.revoke(db.session, revoked, note="核查发现重复申报", actor=admin)
    with committing(db.session):
        standing, _record = duty.issue(db.session, resident, year, app.config)
    key, _keyring = keys.signing(app.config)
    base = app.config["BASE_URL"]
    checks = [duty.qr_text(base, key, c)[len(base) :] for c in (revoked, standing)]
    return {
        "public": checks,
        "admin": [
            "/admin/duty-certificates",
            f"/admin/duty-certificates?id={revoked.public_id}",
            f"/admin/duty-certificates?id={standing.public_id}",
        ],
    }


def _planting_day_codes(*, public: bool = False) -> list[str]:
    """Every planting day (staff see proposals too), or the public ones only."""
    from webapp.models import PlantingDay
    from webapp.models.planting import PUBLIC_DAY_STATUSES

    query = select(PlantingDay.code).order_by(PlantingDay.id)
    if public:
        query = query.where(PlantingDay.status.in_(PUBLIC_DAY_STATUSES))
    return list(db.session.scalars(query))


def test_no_internal_words_in_pages_pdfs_csvs_and_emails(app, runner):
    event, kept, refunded, bank, bank_pages = _world(app, runner)
    paths = _paths(event, kept, refunded, bank)
    for group, more in _duty_certificates(app).items():
        paths[group] += more
    scanner = Scanner(_names())
    seen = 0
    for lang in LANGS:
        scanner.scan_page(bank_pages[lang], lang, f"bank transfer order ({lang})")
        for who, group in ((None, "public"), ("resident", "resident"),
                           ("organiser", "organiser"), ("admin", "admin"),
                           ("ranger", "ranger")):  # fmt: skip
            client = _client(app, who)
            client.set_cookie("lang", lang)
            for path in paths[group]:
                response = client.get(path)
                if response.status_code != 200:
                    scanner.problems.append(f"{path} ({who}): status {response.status_code}")
                    continue
                scanner.scan_page(response.get_data(as_text=True), lang, f"{path} ({lang})")
                seen += 1
        for kind in ("pdfs", "csvs"):
            for who, group in paths[kind].items():
                client = _client(app, who)
                client.set_cookie("lang", lang)
                for path in group:
                    response = client.get(path)
                    if response.status_code != 200:
                        scanner.problems.append(f"{path} ({who}): status {response.status_code}")
                        continue
                    if kind == "pdfs":
                        text = pdftotext(response.data)
                        # Bilingual documents: the Chinese side is read as Chinese.
                        scanner.scan(text, "both", f"{path} ({lang})")
                    else:
                        text = response.data.decode("utf-8-sig")
                        scanner.scan(text, lang, f"{path} ({lang})")
                    seen += 1
    mails = eml_texts(Path(app.config["MAIL_OUTBOX"]))
    assert mails, "the paid orders sent receipts"
    for name, text in mails:
        scanner.scan(text, "zh" if _is_chinese(text) else "en", f"e-mail {name}")
    assert seen > 80
    assert scanner.problems == [], "\n".join(sorted(set(scanner.problems)))


def _is_chinese(text: str) -> bool:
    """Written in Chinese: many Chinese characters, and more of them than English words (an
    English donation receipt quotes Chinese names: the site's rule source, the payee)."""
    chinese = sum("\u4e00" <= ch <= "\u9fff" for ch in text)
    return chinese > 20 and chinese > len(re.findall(r"[A-Za-z]{2,}", text))


def test_revocation_reasons_read_as_sentences(app):
    from flask_babel import force_locale

    from webapp.labels import ledger_reason_text, revocation_text

    with app.test_request_context():
        with force_locale("en"):
            assert revocation_text("superseded by partial refund: BN39GUYZYP") == (
                "Part of the order was refunded; certificate BN39GUYZYP replaces this one "
                "for the tonnes that remain."
            )
            assert revocation_text("refunded: 买家申请") == "The order was refunded: 买家申请"
            assert ledger_reason_text("refund TH12345678") == "Order TH12345678 was refunded"
        with force_locale("zh"):
            assert revocation_text("superseded by partial refund: BN39GUYZYP") == (
                "该订单已部分退款；剩余吨数由证书 BN39GUYZYP 取代本证书。"
            )
