"""Visit uploads: idempotent on the device's ids, re-verified, duplicates flagged; the
public plot page shows verified visits only."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.support.certificates import scan_text
from webapp.extensions import db
from webapp.models import ScanResult, ScanVisit
from webapp.services.certificates import issuing

DEVICE_A = str(uuid.uuid4())
DEVICE_B = str(uuid.uuid4())


@pytest.fixture
def scene(app, ranger, make_user, make_plot, sponsor_plot, issue_plot_certificate):
    mei = make_user(email="mei@example.cn")
    a1 = sponsor_plot(make_plot("A-01"), mei, name="李梅")
    a2 = sponsor_plot(make_plot("A-02"), mei, name="李梅")
    good = issue_plot_certificate(a1, "李梅")
    other = issue_plot_certificate(a2, "李梅")
    revoked = issue_plot_certificate(a2, "李梅")
    issuing.revoke(db.session, revoked, reason="退款", actor=None)
    db.session.commit()
    return {"good": good, "other": other, "revoked": revoked}


def _token(client) -> str:
    return client.get("/scan/api/session").get_json()["csrf_token"]


def _visit(text, plaque=None, offline="valid", site="CLS-JN", client_id=None, when=None):
    return {
        "id": client_id or str(uuid.uuid4()),
        "site": site,
        "certificate_text": text,
        "plaque_text": plaque,
        "offline_result": offline,
        "scanned_at": (when or datetime.now(UTC)).isoformat().replace("+00:00", "Z"),
    }


def _upload(client, visits, device=DEVICE_A, token=None):
    return client.post(
        "/scan/api/visits",
        json={"device_id": device, "visits": visits},
        headers={"X-CSRFToken": token or _token(client), "Accept": "application/json"},
    )


def _count() -> int:
    return db.session.scalar(select(func.count(ScanVisit.id)))


def test_upload_is_idempotent_on_client_ids(app, client, auth, scene):
    auth.login("ranger@example.cn")
    batch = [_visit(scan_text(app, scene["good"]), plaque="HTTP://X/P/CLS-JN/A-01")]
    first = _upload(client, batch)
    assert first.status_code == 200
    assert first.get_json()["results"] == [
        {
            "id": batch[0]["id"],
            "status": "created",
            "result": "valid",
            "matched": True,
            "plot": "A-01",
            "other_device": False,
            "message": None,
        }
    ]
    again = _upload(client, batch)
    assert again.get_json()["results"][0]["status"] == "exists"
    assert _count() == 1
    visit = db.session.scalar(select(ScanVisit))
    assert visit.result is ScanResult.VALID and visit.matched is True
    assert visit.certificate_public_id == scene["good"].public_id
    assert visit.device_id == DEVICE_A


def test_same_certificate_on_two_devices_is_flagged_not_counted_twice(app, client, auth, scene):
    auth.login("ranger@example.cn")
    text = scan_text(app, scene["good"])
    assert _upload(client, [_visit(text)], DEVICE_A).get_json()["results"][0]["status"] == "created"
    second = _upload(client, [_visit(text)], DEVICE_B).get_json()["results"][0]
    assert second["status"] == "duplicate" and second["other_device"] is True
    assert _count() == 2
    page = client.get("/sites/CLS-JN/plots/A-01").get_data(as_text=True)
    assert "1 次" in page or "1 visit" in page
    assert "2 次" not in page


def test_server_reverifies_instead_of_trusting_the_device(app, client, auth, scene):
    auth.login("ranger@example.cn")
    good = scan_text(app, scene["good"])
    tampered = good.replace("A-01.", "A-02.")  # another plot's code under A-01's signature
    assert tampered != good
    results = _upload(
        client,
        [
            _visit(tampered, offline="valid"),  # a device claiming VALID for an altered code
            _visit(scan_text(app, scene["revoked"]), offline="valid"),
            _visit(scan_text(app, scene["other"]), plaque="/P/CLS-JN/A-01"),
            _visit("not a certificate at all"),
        ],
    ).get_json()["results"]
    assert [r["result"] for r in results] == ["invalid", "revoked", "valid", "invalid"]
    assert results[2]["matched"] is False and results[2]["plot"] == "A-01"
    visits = db.session.scalars(select(ScanVisit).order_by(ScanVisit.id)).all()
    assert visits[0].offline_result is ScanResult.VALID and visits[0].result is ScanResult.INVALID
    # None of them is a verified visit of a plot: the public pages show nothing.
    for plot in ("A-01", "A-02"):
        page = client.get(f"/sites/CLS-JN/plots/{plot}").get_data(as_text=True)
        assert "还没有到访记录" in page


def test_numbers_and_plaque_codes_typed_from_the_paper_are_checked_too(app, client, auth, scene):
    """What the scanner accepts offline, the server re-checks: the number under the QR code
    (any case, with or without the hyphen) against the registry, the plaque as printed."""
    auth.login("ranger@example.cn")
    good, revoked = scene["good"].public_id, scene["revoked"].public_id
    results = _upload(
        client,
        [
            _visit(f"{good[:5]}-{good[5:]}", plaque="A-01"),
            _visit(good.lower(), plaque="cls-jn/a-01"),
            _visit(f" {good[:5].lower()} {good[5:]} ", plaque="CLS-JN A-02"),
            _visit(f"{revoked[:5]}-{revoked[5:]}".lower(), offline="revoked"),
            _visit("22222-22222", offline="unknown"),  # no such certificate
        ],
    ).get_json()["results"]
    assert [r["status"] for r in results] == [
        "created",
        "duplicate",
        "duplicate",
        "created",
        "created",
    ]
    assert [r["result"] for r in results] == ["valid", "valid", "valid", "revoked", "invalid"]
    assert [r["matched"] for r in results[:3]] == [True, True, False]
    assert [r["plot"] for r in results] == ["A-01", "A-01", "A-02", "A-02", None]
    visits = db.session.scalars(select(ScanVisit).order_by(ScanVisit.id)).all()
    assert [v.certificate_public_id for v in visits] == [good] * 3 + [revoked, "2222222222"]


def test_uploads_need_the_csrf_header_an_assigned_site_and_valid_ids(
    app, client, auth, scene, make_user, make_plot
):
    auth.login("ranger@example.cn")
    text = scan_text(app, scene["good"])
    no_csrf = client.post(
        "/scan/api/visits",
        json={"device_id": DEVICE_A, "visits": [_visit(text)]},
        headers={"Accept": "application/json"},
    )
    assert no_csrf.status_code == 400 and _count() == 0
    results = _upload(
        client,
        [
            _visit(text, site="NOWHERE"),
            _visit(text, client_id="not-a-uuid"),
            _visit(text, plaque="/P/CLS-JN/Z-99"),
            {"id": str(uuid.uuid4()), "certificate_text": text},
        ],
    ).get_json()["results"]
    assert [r["status"] for r in results] == ["rejected"] * 4
    assert all(r["message"] for r in results)
    assert _count() == 0
    bad_device = _upload(client, [_visit(text)], device="x").get_json()["results"]
    assert bad_device[0]["status"] == "rejected"


def test_rangers_of_other_sites_cannot_log_visits_here(app, client, auth, scene, make_user):
    make_user("ranger", email="elsewhere@example.cn")
    auth.login("elsewhere@example.cn")
    results = _upload(client, [_visit(scan_text(app, scene["good"]))]).get_json()["results"]
    assert results[0]["status"] == "rejected"
    assert _count() == 0


def test_plot_page_lists_verified_visits_without_private_data(app, client, auth, scene):
    auth.login("ranger@example.cn")
    _upload(client, [_visit(scan_text(app, scene["good"]), plaque="/P/CLS-JN/A-01")])
    visitor = app.test_client()  # the public, not signed in
    visitor.set_cookie("lang", "en")
    page = visitor.get("/sites/CLS-JN/plots/A-01").get_data(as_text=True)
    assert "1 visit with a certificate checked by a ranger at the forest." in page
    assert "certificate verified and matched with the plot's plaque" in page
    assert scene["good"].public_id not in page
    assert "ranger@example.cn" not in page and "护林员老王" not in page
