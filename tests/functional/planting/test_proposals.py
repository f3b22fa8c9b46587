"""Organisations propose planting days; staff approve or decline them (issue 19).

A proposal is private until a staff member other than its proposer approves it: no public
page, API, scanner pack, reminder or registration sees it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from tests.support.app import csrf_token
from tests.support.planting import make_day, make_proposal
from tests.support.plots import make_site
from webapp import localtime
from webapp.errors import Conflict, DomainError, Forbidden
from webapp.extensions import db
from webapp.models import AuditRecord, PlantingDay, PlantingDayStatus
from webapp.models.base import utcnow
from webapp.services.mail import list_outbox, read_outbox
from webapp.services.planting import checkins, days, mails, proposals, queries, registrations

NEW = "/account/planting-proposals/new"
MINE = "/account/planting-proposals"


@pytest.fixture
def organiser(make_user):
    return make_user("organiser", email="org@example.cn", name="泰山论坛组委会")


@pytest.fixture
def second_admin(make_user):
    return make_user("admin", email="staff2@example.cn", name="第二位管理员")


@pytest.fixture
def proposal(site, sponsored_plots, organiser):
    return make_proposal(site, sponsored_plots, organiser)


def _propose(client, place, chosen, **overrides):
    data = {
        "csrf_token": csrf_token(client, NEW),
        "site": str(place.id),
        "day": (localtime.today() + timedelta(days=9)).isoformat(),
        "start": "09:00",
        "end": "11:30",
        "meeting_point": "South gate square",
        "plots": [str(p.id) for p in chosen],
        "trees_available": "30",
        "capacity": "25",
        "what_to_bring": "Gloves, water",
        "safety_notes": "Non-slip shoes",
        "note": "About 20 staff volunteers of the forum",
        **overrides,
    }
    return client.post(NEW, data=data, follow_redirects=True)


def _mails_to(app, address: str) -> list[tuple[str, str]]:
    outbox = Path(app.config["MAIL_OUTBOX"])
    return [
        (item.subject, read_outbox(outbox, item.name) or "")
        for item in list_outbox(outbox)
        if item.to == address
    ]


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(PlantingDay))


def test_an_organiser_proposes_a_day_and_sees_its_state(
    english, auth, organiser, site, sponsored_plots
):
    auth.login(email="org@example.cn")
    assert english.get(NEW).status_code == 200
    page = _propose(english, site, sponsored_plots)
    assert page.status_code == 200
    day = db.session.scalars(select(PlantingDay)).one()
    assert day.status is PlantingDayStatus.PROPOSED
    assert day.proposed_by_id == organiser.id and day.created_by_id == organiser.id
    assert day.proposal_note == "About 20 staff volunteers of the forum"
    assert day.places_taken == 0 and day.approved_at is None
    assert localtime.local(day.starts_at).hour == 9
    html = page.get_data(as_text=True)
    assert f"Your proposal {day.code} is sent; staff will decide." in html
    assert "Proposed, awaiting staff" in html and "Withdraw the proposal" in html
    assert db.session.scalar(
        select(AuditRecord).where(AuditRecord.action == "planting_day.propose")
    )
    # Not public.
    assert english.get(f"/planting-days/{day.code}").status_code == 404
    assert day.code not in english.get("/planting-days").get_data(as_text=True)


INVALID = [
    ({"day": "PAST"}, 400, "A planting day must start in the future."),
    ({"start": "12:00", "end": "09:00"}, 400, "The end time must be after the start time."),
    ({"plots": []}, 400, "Please choose at least one plot to plant."),
    ({"plots": "FREE"}, 400, "is not waiting for planting"),
    ({"plots": "BOOKED"}, 400, "is already on another planting day: choose another plot."),
    ({"site": "OTHER"}, 400, "Every plot must belong to this site."),
    ({"capacity": "0"}, 400, "Between 1 and 2,000."),
    ({"trees_available": "2.5"}, 400, "Enter a whole number."),
    ({"trees_available": ""}, 400, "Please give a whole number."),
    ({"meeting_point": ""}, 400, "This field is required."),
    ({"note": ""}, 400, "Please tell staff who you are and why you propose this day."),
    ({"note": "x" * 501}, 400, "At most 500 characters."),
    ({"day": ""}, 400, "Please give the date."),
]


@pytest.mark.parametrize("overrides,status,message", INVALID)
def test_each_invalid_proposal_is_refused_with_its_reason_and_nothing_stored(
    english,
    auth,
    organiser,
    planting_admin,
    site,
    sponsored_plots,
    make_plot,
    sponsor_plot,
    make_user,
    overrides,
    status,
    message,
):
    values = dict(overrides)
    if values.get("day") == "PAST":
        values["day"] = (localtime.today() - timedelta(days=1)).isoformat()
    if values.get("plots") == "FREE":
        values["plots"] = [str(make_plot("C-01").id)]
    if values.get("plots") == "BOOKED":
        booked = sponsor_plot(make_plot("C-02"), make_user())
        make_day(site, [booked], planting_admin)
        values["plots"] = [str(booked.id)]
    if values.get("site") == "OTHER":
        values["site"] = str(make_site("TS-ZB").id)
        db.session.commit()
    before = _count()
    auth.login(email="org@example.cn")
    page = _propose(english, site, sponsored_plots, **values)
    assert page.status_code == status
    assert message in page.get_data(as_text=True)
    assert _count() == before
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(PlantingDay)
            .where(PlantingDay.proposed_by_id.is_not(None))
        )
        == 0
    )


def test_refusals_are_in_chinese_by_default(
    client, auth, organiser, planting_admin, site, sponsored_plots
):
    make_day(site, sponsored_plots[:1], planting_admin)
    auth.login(email="org@example.cn")
    page = _propose(client, site, sponsored_plots, note="")
    assert page.status_code == 400
    assert "请告诉工作人员您是谁以及为何提议这一天。" in page.get_data(as_text=True)
    booked = _propose(client, site, sponsored_plots)
    assert booked.status_code == 400
    assert "地块 B-01 已安排在另一个植树日" in booked.get_data(as_text=True)
    assert _count() == 1


def test_a_resident_cannot_propose(client, auth, make_user, site, sponsored_plots):
    resident = make_user(email="res@example.cn")
    auth.login(email="res@example.cn")
    assert client.get(NEW).status_code == 403
    assert client.get(MINE).status_code == 403
    token = csrf_token(client, "/planting-days")
    assert client.post(NEW, data={"csrf_token": token}).status_code == 403
    with pytest.raises(Forbidden):
        proposals.propose(
            db.session,
            site,
            days.DayInput(
                day=localtime.today() + timedelta(days=5),
                start=time(9, 0),
                end=time(11, 0),
                meeting_point="门口",
                plot_ids=[p.id for p in sponsored_plots],
                trees_available=5,
                capacity=5,
            ),
            "我们想植树",
            proposer=resident,
        )
    db.session.rollback()
    assert _count() == 0


def test_staff_approve_a_proposal_and_it_becomes_an_ordinary_scheduled_day(
    app, english, auth, organiser, planting_admin, proposal, make_user
):
    organiser.locale = "en"
    db.session.commit()
    auth.login(email="staff@example.cn")
    assert proposal.code in english.get("/admin/").get_data(as_text=True)
    listing = english.get("/admin/planting-days").get_data(as_text=True)
    assert "Proposed by organisations, awaiting a decision" in listing
    assert proposal.code in listing and "泰山论坛组委会" in listing
    path = f"/admin/planting-days/{proposal.code}"
    page = english.get(path).get_data(as_text=True)
    assert "员工二十人" in page and "Approve and schedule" in page
    assert "Public page" not in page
    done = english.post(
        f"{path}/approve", data={"csrf_token": csrf_token(english, path)}, follow_redirects=True
    )
    assert done.status_code == 200
    assert "is scheduled; the proposer is told by e-mail." in done.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status is PlantingDayStatus.SCHEDULED
    assert proposal.approved_by_id == planting_admin.id and proposal.approved_at is not None
    # Public now, and open for registration like any day.
    assert english.get(f"/planting-days/{proposal.code}").status_code == 200
    codes = {d["code"] for d in english.get("/api/v1/planting-days").get_json()["planting_days"]}
    assert proposal.code in codes
    registration = registrations.register(
        db.session, proposal, make_user(), [registrations.Person("甲")]
    )
    db.session.commit()
    assert registration.status.value == "registered"
    ((subject, body),) = _mails_to(app, "org@example.cn")
    assert f"Your proposed planting day {proposal.code} is scheduled" in subject
    assert f"/planting-days/{proposal.code}" in body
    # Decided: nothing more to decide, and the organiser cannot withdraw it.
    again = english.post(f"{path}/approve", data={"csrf_token": csrf_token(english, path)})
    assert again.status_code == 409
    assert "This planting day is “Scheduled”: it cannot become “Scheduled”." in again.get_data(
        as_text=True
    )
    with pytest.raises(Conflict):
        proposals.withdraw(db.session, proposal, actor=organiser)
    db.session.rollback()


def test_a_staff_member_never_approves_their_own_proposal(
    english, auth, planting_admin, second_admin, site, sponsored_plots
):
    own = make_proposal(site, sponsored_plots, planting_admin)
    auth.login(email="staff@example.cn")
    path = f"/admin/planting-days/{own.code}"
    page = english.get(path).get_data(as_text=True)
    assert "Approve and schedule" not in page
    assert "You proposed this day: another staff member must approve it." in page
    refused = english.post(f"{path}/approve", data={"csrf_token": csrf_token(english, path)})
    assert refused.status_code == 403
    assert "You proposed this day: another staff member must approve it." in refused.get_data(
        as_text=True
    )
    db.session.refresh(own)
    assert own.status is PlantingDayStatus.PROPOSED and own.approved_by_id is None
    proposals.approve(db.session, own, actor=second_admin)
    db.session.commit()
    assert own.status is PlantingDayStatus.SCHEDULED and own.approved_by_id == second_admin.id


def test_staff_decline_with_a_reason_and_the_proposer_reads_it(
    app, english, auth, organiser, planting_admin, proposal
):
    auth.login(email="staff@example.cn")
    path = f"/admin/planting-days/{proposal.code}"
    empty = english.post(
        f"{path}/decline", data={"csrf_token": csrf_token(english, path), "decline-reason": " "}
    )
    assert empty.status_code == 400
    assert "Please tell the proposer why the day is declined." in empty.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status is PlantingDayStatus.PROPOSED
    done = english.post(
        f"{path}/decline",
        data={
            "csrf_token": csrf_token(english, path),
            "decline-reason": "Too close to the fire season",
        },
        follow_redirects=True,
    )
    assert "The proposal is declined" in done.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status is PlantingDayStatus.DECLINED
    assert proposal.decline_reason == "Too close to the fire season"
    assert proposal.declined_by_id == planting_admin.id
    ((subject, body),) = _mails_to(app, "org@example.cn")  # in Chinese: no locale chosen
    assert "Too close to the fire season" in body and "原因：" in body
    assert f"您提议的植树日 {proposal.code} 未获批准" in subject
    # Declined is final.
    late = english.post(f"{path}/approve", data={"csrf_token": csrf_token(english, path)})
    assert late.status_code == 409
    assert english.get(f"/planting-days/{proposal.code}").status_code == 404
    auth.logout()
    auth.login(email="org@example.cn")
    mine = english.get(MINE).get_data(as_text=True)
    assert "Declined" in mine and "Too close to the fire season" in mine
    assert "Withdraw the proposal" not in mine


def test_the_proposer_withdraws_while_it_waits_and_nobody_else_can(
    english, auth, organiser, make_user, planting_admin, proposal
):
    make_user("organiser", email="other-org@example.cn")
    auth.login(email="other-org@example.cn")
    url = f"{MINE}/{proposal.code}/withdraw"
    token = csrf_token(english, MINE)
    assert english.post(url, data={"csrf_token": token}).status_code == 404
    auth.logout()
    auth.login(email="org@example.cn")
    done = english.post(url, data={"csrf_token": csrf_token(english, MINE)}, follow_redirects=True)
    assert "Your proposal is withdrawn." in done.get_data(as_text=True)
    db.session.refresh(proposal)
    assert proposal.status is PlantingDayStatus.WITHDRAWN and proposal.withdrawn_at is not None
    twice = english.post(url, data={"csrf_token": csrf_token(english, MINE)}, follow_redirects=True)
    assert "This planting day is “Withdrawn”: it cannot become “Withdrawn”." in twice.get_data(
        as_text=True
    )
    with pytest.raises(Conflict):
        proposals.approve(db.session, proposal, actor=planting_admin)
    db.session.rollback()


def test_approval_rechecks_the_date_and_the_plots(
    english, auth, organiser, planting_admin, site, sponsored_plots, proposal
):
    # Staff scheduled another day with one of the plots meanwhile.
    make_day(site, sponsored_plots[:1], planting_admin)
    with pytest.raises(DomainError, match="B-01"):
        proposals.approve(db.session, proposal, actor=planting_admin)
    db.session.rollback()
    db.session.refresh(proposal)
    assert proposal.status is PlantingDayStatus.PROPOSED
    # A proposal whose start went by can only be declined.
    late = make_proposal(site, sponsored_plots[1:], organiser, in_days=1)
    late.starts_at = utcnow() - timedelta(hours=1)
    late.ends_at = utcnow() + timedelta(hours=2)
    db.session.commit()
    auth.login(email="staff@example.cn")
    path = f"/admin/planting-days/{late.code}"
    page = english.post(f"{path}/approve", data={"csrf_token": csrf_token(english, path)})
    assert page.status_code == 409
    assert "This proposed day has already begun: it can only be declined now." in page.get_data(
        as_text=True
    )


def test_one_transition_table_refuses_every_other_move():
    allowed = {
        (PlantingDayStatus.PROPOSED, PlantingDayStatus.SCHEDULED),
        (PlantingDayStatus.PROPOSED, PlantingDayStatus.DECLINED),
        (PlantingDayStatus.PROPOSED, PlantingDayStatus.WITHDRAWN),
        (PlantingDayStatus.SCHEDULED, PlantingDayStatus.CANCELLED),
    }
    for a in PlantingDayStatus:
        for b in PlantingDayStatus:
            if (a, b) in allowed:
                assert days.day_transition(a, b) is b
            else:
                with pytest.raises(Conflict):
                    days.day_transition(a, b)


def test_a_proposal_cannot_be_cancelled_or_resized(planting_admin, proposal):
    with pytest.raises(Conflict):
        days.cancel(db.session, proposal, "Rain", actor=planting_admin)
    db.session.rollback()
    with pytest.raises(Conflict):
        registrations.change_capacity(db.session, proposal, 20, actor=planting_admin)
    db.session.rollback()


@pytest.mark.parametrize(
    "change",
    [
        "no_proposer",
        "places_taken",
        "own_approval",
        "approval_while_proposed",
        "declined_without_reason",
        "withdrawn_without_time",
        "scheduled_without_approval",
    ],
)
def test_the_database_refuses_an_impossible_proposal(change, organiser, planting_admin, proposal):
    now = utcnow()
    organiser_id, admin_id = organiser.id, planting_admin.id
    if change == "no_proposer":
        proposal.proposed_by_id = None
    elif change == "places_taken":
        proposal.places_taken = 1
    elif change == "own_approval":
        proposal.status = PlantingDayStatus.SCHEDULED
        proposal.approved_by_id = organiser_id
        proposal.approved_at = now
    elif change == "approval_while_proposed":
        proposal.approved_by_id = admin_id
        proposal.approved_at = now
    elif change == "declined_without_reason":
        proposal.status = PlantingDayStatus.DECLINED
        proposal.declined_by_id = admin_id
        proposal.declined_at = now
    elif change == "withdrawn_without_time":
        proposal.status = PlantingDayStatus.WITHDRAWN
    elif change == "scheduled_without_approval":
        proposal.status = PlantingDayStatus.SCHEDULED
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- never public -------------------------------------------------------------------------


@pytest.fixture
def hidden(site, make_plot, sponsor_plot, make_user, organiser, planting_admin):
    """A pending, a declined and a withdrawn proposal, each starting within 48 hours."""
    sponsor = make_user(email="s2@example.cn")
    plots = [sponsor_plot(make_plot(f"H-0{i}"), sponsor) for i in (1, 2, 3)]
    pending = make_proposal(site, plots[:1], organiser, in_days=1)
    declined = make_proposal(site, plots[1:2], organiser, in_days=1)
    proposals.decline(db.session, declined, "No", actor=planting_admin)
    withdrawn = make_proposal(site, plots[2:], organiser, in_days=1)
    proposals.withdraw(db.session, withdrawn, actor=organiser)
    db.session.commit()
    return [pending, declined, withdrawn]


def _public_paths(app, site, codes):
    """Every public GET page and endpoint: those without arguments, and those taking a code
    (tried with the site's code and with each hidden day's code)."""
    paths = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.rule.startswith(("/admin", "/static", "/dev")):
            continue
        if rule.endpoint in ("public.set_language", "health.metrics", "observability.metrics"):
            continue
        if not rule.arguments:
            paths.add(rule.rule)
        elif rule.arguments == {"code"}:
            for value in (site.code, *codes):
                paths.add(rule.rule.replace("<code>", value).replace("<string:code>", value))
    return sorted(paths)


def test_a_proposal_is_never_public(
    app, english, auth, make_user, site, planting_admin, planting_ranger, hidden
):
    codes = [d.code for d in hidden]
    # Pages and JSON, signed out and signed in as a resident.
    make_user(email="res@example.cn")
    checked = 0
    for who in (None, "res@example.cn"):
        if who:
            auth.login(email=who)
        for path in _public_paths(app, site, codes):
            response = english.get(path)
            if response.status_code != 200:
                continue  # a redirect may echo the address it was given; nothing more
            text = response.get_data(as_text=True)
            for code in codes:
                assert code not in text, (path, who)
            checked += 1
    assert checked > 40
    for code in codes:
        assert english.get(f"/planting-days/{code}").status_code == 404
        assert english.get(f"/api/v1/planting-days/{code}").status_code == 404
        token = csrf_token(english, "/planting-days")
        refused = english.post(f"/planting-days/{code}/register", data={"csrf_token": token})
        assert refused.status_code == 404
    # The service refuses registration too, whoever calls it.
    with pytest.raises(Conflict):
        registrations.register(db.session, hidden[0], make_user(), [registrations.Person("甲")])
    db.session.rollback()
    # Not in the scanner's pack, not checked in.
    auth.logout()
    auth.login(email="ranger@example.cn")
    pack = english.get("/scan/api/pack").get_data(as_text=True)
    assert all(code not in pack for code in codes)
    assert queries.pack_days(db.session, [site]) == []
    with pytest.raises(DomainError, match="未知的植树日"):  # "Unknown planting day."
        checkins.record(
            db.session,
            ranger=planting_ranger,
            device_id=str(uuid.uuid4()),
            item=checkins.CheckInInput(
                client_id=str(uuid.uuid4()),
                day_code=codes[0],
                pass_text="x",
                attendees=1,
                scanned_at=datetime.now(UTC),
                trees=(),
            ),
            keyring=None,
        )
    db.session.rollback()
    # No reminders (each starts within 48 hours), and not among the days anywhere listed.
    assert mails.due_reminders(db.session) == []
    db.session.commit()
    assert all(d.reminders_sent_at is None for d in hidden)
    assert queries.upcoming(db.session) == [] and queries.past(db.session) == []
    assert queries.site_days(db.session, site) == []
