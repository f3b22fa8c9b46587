"""Check-ins uploaded by the rangers' scanner: exactly once, re-verified, privacy kept."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.support.planting import make_day, make_today, pass_text, register_early
from tests.support.plots import make_site
from webapp.extensions import db
from webapp.models import PlantedTrees, PlantingCheckIn, PlotStatus, Privacy
from webapp.services import keys
from webapp.services.planting import passes

DEVICE_A = str(uuid.uuid4())
DEVICE_B = str(uuid.uuid4())


@pytest.fixture
def today(site, sponsored_plots, planting_admin, planting_ranger):
    return make_today(site, sponsored_plots, planting_admin, capacity=10, trees=50)


@pytest.fixture
def family(today, make_user):
    user = make_user(email="lin.private@example.cn", name="林小树")
    return register_early(today, user, ["林小树", ("林苗苗", True)])


def _checkin(day, text, trees=(("B-01", 3), ("B-02", 2)), attendees=2, client_id=None):
    return {
        "id": client_id or str(uuid.uuid4()),
        "day": day.code,
        "pass_text": text,
        "attendees": attendees,
        "scanned_at": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
        "trees": [{"plot": p, "trees": n} for p, n in trees],
    }


def _upload(client, items, device=DEVICE_A):
    token = client.get("/scan/api/session").get_json()["csrf_token"]
    return client.post(
        "/scan/api/checkins",
        json={"device_id": device, "checkins": items},
        headers={"X-CSRFToken": token, "Accept": "application/json"},
    )


def _trees() -> int:
    return sum(row.trees for row in db.session.query(PlantedTrees).all())


def test_a_checkin_records_trees_on_two_plots_once_and_plants_them(
    app, english, auth, today, family
):
    auth.login(email="ranger@example.cn")
    item = _checkin(today, pass_text(app, family))
    first = _upload(english, [item]).get_json()["results"][0]
    assert first["status"] == "created" and first["trees"] == 5
    again = _upload(english, [item]).get_json()["results"][0]  # the same visit id
    assert again["status"] == "exists"
    assert _trees() == 5 and db.session.query(PlantingCheckIn).count() == 1
    db.session.expire_all()
    for plot in today.plots:
        assert plot.status is PlotStatus.PLANTED
        # Anonymous by default: the ranger update names nobody.
        assert plot.updates[0].note == f"植树日 {today.code}"
    page = english.get("/sites/CLS-JN/plots/B-01").get_data(as_text=True)
    assert "林小树" not in page and "林苗苗" not in page


def test_a_second_device_checking_the_same_pass_is_counted_once(app, english, auth, today, family):
    auth.login(email="ranger@example.cn")
    text = pass_text(app, family)
    _upload(english, [_checkin(today, text)], device=DEVICE_A)
    second = _upload(english, [_checkin(today, text)], device=DEVICE_B).get_json()["results"][0]
    assert second["status"] == "duplicate" and second["other_device"] is True
    assert "already checked in" in second["message"] and "on another device" in second["message"]
    assert "counted once" in second["message"]
    assert _trees() == 5
    assert db.session.query(PlantingCheckIn).filter_by(duplicate_of_id=None).count() == 1


def test_passes_of_another_day_or_site_tampered_or_waiting_are_rejected(
    app,
    english,
    auth,
    today,
    family,
    make_user,
    sponsored_plots,
    planting_admin,
    make_plot,
    sponsor_plot,
):
    # A plot is on one scheduled day at a time: the other day plants its own plot.
    other_plot = sponsor_plot(make_plot("B-09"), make_user())
    other_day = make_day(today.site, [other_plot], planting_admin, capacity=1, in_days=3)
    holder = make_user()
    from webapp.services.planting import registrations

    elsewhere = registrations.register(db.session, other_day, holder, [registrations.Person("甲")])
    waiting = registrations.register(
        db.session, other_day, make_user(), [registrations.Person("乙")]
    )
    db.session.commit()
    cancelled = register_early(today, make_user(), ["丙"])
    registrations.cancel(
        db.session, cancelled, cancelled.user, now=today.starts_at - timedelta(hours=1)
    )
    db.session.commit()
    other_site = make_site("TS-ZB")
    db.session.commit()
    good = pass_text(app, family)
    foreign_site = good.replace("/CLS-JN/", "/TS-ZB/")
    key, _keyring = keys.signing(app.config)
    other_site_pass = passes.qr_text(
        app.config["BASE_URL"], key, passes.PassClaims(family.pass_id, today.code, "TS-ZB", 2)
    )
    auth.login(email="ranger@example.cn")
    cases = {
        "another day": (pass_text(app, elsewhere), "This pass is for another planting day"),
        "tampered": (good.replace("/2/", "/9/"), "This is not a genuine pass"),
        "altered site": (foreign_site, "This is not a genuine pass"),
        "signed for another site": (other_site_pass, "This pass is for another site (TS-ZB)"),
        "waiting": (pass_text(app, waiting), "This pass is for another planting day"),
        "cancelled": (pass_text(app, cancelled), "This pass was cancelled or is still on"),
        "garbage": ("HELLO", "This is not a genuine pass"),
    }
    for name, (text, message) in cases.items():
        result = _upload(english, [_checkin(today, text)]).get_json()["results"][0]
        assert result["status"] == "rejected", name
        assert result["message"].startswith(message), (name, result["message"])
    too_many = _upload(english, [_checkin(today, good, attendees=3)]).get_json()["results"][0]
    assert "between 0 and the 2 the pass admits" in too_many["message"]
    wrong_plot = _upload(english, [_checkin(today, good, trees=(("Z-99", 1),))]).get_json()
    assert "Plot Z-99 is not planted at this planting day." in wrong_plot["results"][0]["message"]
    over = _upload(english, [_checkin(today, good, trees=(("B-01", 51),))]).get_json()
    assert "More trees than the planting day has" in over["results"][0]["message"]
    assert db.session.query(PlantingCheckIn).count() == 0 and _trees() == 0
    assert other_site is not None


def test_names_appear_publicly_only_when_chosen_and_never_for_children(
    app, english, auth, today, make_user
):
    named = register_early(
        today, make_user(), ["Wang Xiaolin", ("Wang Hé", True)], name_privacy=Privacy.FULL
    )
    initials = register_early(today, make_user(), ["李梅"], name_privacy=Privacy.INITIALS)
    hidden = register_early(today, make_user(), ["Secret Person"])
    auth.login(email="ranger@example.cn")
    _upload(
        english,
        [
            _checkin(today, pass_text(app, named), trees=(("B-01", 2),)),
            _checkin(today, pass_text(app, initials), trees=(("B-02", 1),), attendees=1),
            _checkin(today, pass_text(app, hidden), trees=(("B-02", 1),), attendees=1),
        ],
    )
    from tests.support.planting import move_to_past

    move_to_past(today)
    for url in (f"/planting-days/{today.code}", f"/api/v1/planting-days/{today.code}"):
        response = english.get(url)
        page = (
            json.dumps(response.get_json(), ensure_ascii=False)
            if "/api/" in url
            else response.get_data(as_text=True)
        )
        assert "Wang Xiaolin" in page and "李*" in page
        assert "Secret Person" not in page
        assert "Wang H" not in page.replace("Wang Xiaolin", "")  # the child
        assert "李梅" not in page
    page = english.get(f"/planting-days/{today.code}").get_data(as_text=True)
    assert "4 people planted 4 trees." in page


def test_the_scan_pack_carries_the_day_and_passes_but_nothing_private(
    app, english, auth, today, family
):
    auth.login(email="ranger@example.cn")
    pack = english.get("/scan/api/pack")
    text = pack.get_data(as_text=True)
    (day,) = pack.get_json()["planting_days"]
    assert day["code"] == today.code and day["plots"] == ["B-01", "B-02"]
    assert day["passes"] == {family.pass_id: 2}
    for private in ("林小树", "林苗苗", "lin.private", "赵赞助", "sponsor@example.cn"):
        assert private not in text
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)
