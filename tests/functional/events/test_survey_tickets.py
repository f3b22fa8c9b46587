"""Survey ticket codes (参会码): issued by the organiser, required on demand; each code admits
exactly one answer, a phone may answer for several codes, and bad codes are refused."""

from __future__ import annotations

import csv
import io
import threading

from sqlalchemy import func, select

from tests.support.app import csrf_token
from tests.support.events import post
from tests.support.pdftools import decoded, pdftotext
from webapp.errors import Conflict, DomainError
from webapp.extensions import db
from webapp.models import AuditRecord, Event, SurveyResponse, SurveyTicket, TravelMode
from webapp.services.events import survey, tickets


def _responses() -> int:
    return db.session.scalar(select(func.count(SurveyResponse.id))) or 0


def _codes(event) -> list[SurveyTicket]:
    db.session.expire_all()
    return list(db.session.scalars(select(SurveyTicket).where(SurveyTicket.event_id == event.id)))


def _issue(client, event, how_many):
    page = f"/events/{event.code}/manage"
    return post(client, f"/events/{event.code}/tickets", {"how_many": how_many}, page=page)


def _require(client, event, required: bool):
    page = f"/events/{event.code}/manage"
    data = {"required": "1" if required else "0"}
    return post(client, f"/events/{event.code}/tickets/required", data, page=page)


def _answer(client, event, ticket=None, token=None, **fields):
    data = {"mode": "rail", "origin": "", "one_way_km": "120", "comment": ""}
    if ticket is not None:
        data["ticket"] = ticket
    data.update(fields)
    data["csrf_token"] = token or csrf_token(client, f"/events/{event.code}/survey")
    return client.post(f"/events/{event.code}/survey", data=data)


def test_organiser_issues_and_requires_codes_through_the_page(client, event):
    page = client.get(f"/events/{event.code}/manage").get_data(as_text=True)
    assert "参会码" in page and "已发放 0 个参会码" in page

    # Requiring codes before any exist is refused, and changes nothing.
    refused = _require(client, event, True)
    assert "请先发放参会码" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert db.session.get(Event, event.id).survey_tickets_required is False

    for bad, message in (("0", "1 到 2000"), ("2001", "1 到 2000"), ("abc", "1 到 2000")):
        answer = _issue(client, event, bad)
        follow = client.get(answer.headers["Location"]).get_data(as_text=True)
        assert message in follow, bad
    assert _codes(event) == []

    done = _issue(client, event, "25")
    assert "已发放 25 个参会码" in client.get(done.headers["Location"]).get_data(as_text=True)
    codes = _codes(event)
    assert len(codes) == 25 and len({c.code for c in codes}) == 25
    assert all(len(c.code) == 10 and set(c.code) <= set(tickets.ALPHABET) for c in codes)

    _require(client, event, True)
    db.session.expire_all()
    assert db.session.get(Event, event.id).survey_tickets_required is True
    page = client.get(f"/events/{event.code}/manage").get_data(as_text=True)
    assert "已发放 25 个参会码，已使用 0 个" in page
    assert "每个参会码一次" in page and "每部手机一次" not in page
    actions = set(db.session.scalars(select(AuditRecord.action)))
    assert {"event.tickets_issued", "event.tickets_required"} <= actions


def test_codes_are_private_to_the_organisation(app, client, event, make_user, auth):
    _issue(client, event, "3")
    auth.logout()
    make_user("organiser", email="other@example.cn")
    auth.login("other@example.cn")
    for path in ("tickets.csv", "tickets.pdf", "manage"):
        assert client.get(f"/events/{event.code}/{path}").status_code == 404, path
    assert _issue(client, event, "3").status_code == 404
    assert len(_codes(event)) == 3


def test_with_codes_required_each_code_answers_once_and_one_phone_answers_for_several(
    app, client, event
):
    _issue(client, event, "3")
    _require(client, event, True)
    first, second, third = (c.code for c in _codes(event))

    phone = app.test_client()
    form = phone.get(f"/events/{event.code}/survey").get_data(as_text=True)
    assert "参会码" in form and 'name="ticket"' in form

    # No code, an unknown one, a wrong-event-shaped one: clear refusals, nothing stored.
    for ticket, message, status in (
        ("", "请输入票面或胸牌上印的参会码", 400),
        ("ZZZZZ-ZZZZZ", "不是本活动的参会码", 400),
        ("<script>", "不是本活动的参会码", 400),
    ):
        answer = _answer(phone, event, ticket=ticket)
        assert answer.status_code == status, ticket
        html = answer.get_data(as_text=True)
        assert message in html, ticket
        assert "<script>" not in html.split("</form>")[0].split('name="ticket"')[-1]
    assert _responses() == 0

    # A code typed in lower case with a dash is accepted.
    typed = f"{first[:5].lower()}-{first[5:].lower()}"
    done = _answer(phone, event, ticket=typed)
    assert done.status_code == 302
    assert f"t={first}" in done.headers["Location"]
    thanks = phone.get(done.headers["Location"]).get_data(as_text=True)
    assert "普通火车" in thanks and "120" in thanks and "personal-kg" in thanks

    # The same phone answers for a second ticket (a family); another phone cannot reuse one.
    assert _answer(phone, event, ticket=second, mode="coach", one_way_km="80").status_code == 302
    other = app.test_client()
    reused = _answer(other, event, ticket=first)
    assert reused.status_code == 409
    assert "此参会码已经回答过" in reused.get_data(as_text=True)
    assert _responses() == 2

    db.session.expire_all()
    used = {c.code: c for c in _codes(event)}
    assert used[first].answered_at and used[second].answered_at and not used[third].answered_at
    rows = db.session.scalars(select(SurveyResponse).order_by(SurveyResponse.id)).all()
    assert [r.ticket_id for r in rows] == [used[first].id, used[second].id]

    # The CSV lists every code with its own link and whether it answered.
    report = client.get(f"/events/{event.code}/tickets.csv")
    lines = list(csv.reader(io.StringIO(report.get_data(as_text=True).lstrip("\ufeff"))))
    assert lines[0] == ["ticket_code", "survey_link", "answered_at_utc"]
    by_code = {row[0].replace("-", ""): row for row in lines[1:]}
    assert set(by_code) == {first, second, third}
    assert by_code[first][1] == f"{app.config['BASE_URL'].rstrip('/')}/E/{event.code}/{first}"
    assert by_code[first][2] and not by_code[third][2]

    # The ticket's own link fills the code in.
    link = phone.get(f"/E/{event.code.lower()}/{third.lower()}")
    assert link.status_code == 301
    filled = phone.get(link.headers["Location"]).get_data(as_text=True)
    assert f'value="{third}"' in filled


def test_without_required_codes_the_device_rule_stands(app, client, event):
    _issue(client, event, "2")  # issued but not required
    phone = app.test_client()
    # The form as first loaded (a second tab): once answered, the page shows no form.
    token = csrf_token(phone, f"/events/{event.code}/survey")
    assert _answer(phone, event, ticket="anything", token=token).status_code == 302
    assert _answer(phone, event, token=token).status_code == 409
    assert _responses() == 1
    assert db.session.scalar(select(SurveyResponse.ticket_id)) is None


def test_ticket_slips_pdf_carries_each_code_and_its_qr_link(app, client, event):
    _issue(client, event, "4")
    codes = sorted(c.code for c in _codes(event))
    response = client.get(f"/events/{event.code}/tickets.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    text = pdftotext(response.data)
    for code in codes:
        assert tickets.display(code) in text
    base = app.config["BASE_URL"].rstrip("/").upper()
    assert sorted(decoded(response.data)) == sorted(f"{base}/E/{event.code}/{c}" for c in codes)


def test_poster_says_codes_are_needed_once_required(client, event):
    _issue(client, event, "1")
    _require(client, event, True)
    text = pdftotext(client.get(f"/events/{event.code}/poster.pdf").data)
    assert "参会码" in text and "one answer per code" in text


def test_one_code_racing_from_many_phones_stores_one_answer(app, event, organiser, make_app):
    (ticket,) = tickets.generate(db.session, event, 1, actor=organiser)
    tickets.set_required(db.session, event, actor=organiser, required=True)
    event_id, code = event.id, ticket.code
    db.session.commit()  # and hold no transaction (on SQLite, no write lock) while they race
    racers = 6
    worker_app = make_app(
        SQLALCHEMY_ENGINE_OPTIONS={"pool_size": racers + 2, "max_overflow": 0, "pool_timeout": 60},
    )
    start = threading.Barrier(racers)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def phone(i: int) -> None:
        try:
            with worker_app.app_context():
                start.wait()
                try:
                    survey.submit(
                        db.session,
                        db.session.get(Event, event_id),
                        survey.Answer(mode=TravelMode.RAIL, one_way_km="50"),
                        device=f"device-{i}",
                        ticket_code=code,
                    )
                    db.session.commit()
                    outcomes.append("stored")
                except (Conflict, DomainError):
                    db.session.rollback()
                    outcomes.append("refused")
                finally:
                    db.session.remove()
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(racers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    assert sorted(outcomes) == ["refused"] * (racers - 1) + ["stored"]
    assert _responses() == 1
