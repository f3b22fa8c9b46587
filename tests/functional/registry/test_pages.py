"""Public pages, CSV and JSON agree on every total; anonymity holds everywhere."""

from __future__ import annotations

import csv
import io
import re

import pytest

from tests.support.app import csrf_token
from tests.support.registry import HOLD
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Issuance, IssuanceStatus, Privacy, Purpose
from webapp.services.registry import allocation as alloc
from webapp.services.registry import merkle

SECRET_NAME = "隐名捐赠人张三丰"


@pytest.fixture
def populated(project, on_sale):
    from webapp.models import Delivery

    on_sale(project, 10_000)
    on_sale(project, 5_000, vintage=2027, delivery=Delivery.PROJECTED)
    for i, (name, privacy) in enumerate(
        [("王小林", Privacy.FULL), ("Mei Li", Privacy.INITIALS), (SECRET_NAME, Privacy.ANONYMOUS)]
    ):
        a = alloc.reserve(db.session, project, 1000 + i, f"order-{i}", hold=HOLD)
        alloc.retire(
            db.session, a, alloc.Beneficiary(name=name, privacy=privacy, purpose=Purpose.GIFT)
        )
    alloc.reserve(db.session, project, 500, "order-pending", hold=HOLD)
    db.session.commit()
    return project


def test_pages_csv_and_json_agree_on_totals(client, populated):
    api = client.get("/api/v1/projects/TA-CLS").get_json()
    assert (api["issued_kg"], api["reserved_kg"], api["retired_kg"], api["available_kg"]) == (
        15_000,
        500,
        3003,
        11_497,
    )
    listing = client.get("/api/v1/projects").get_json()
    assert listing["totals"] == {
        "issued_kg": 15_000,
        "reserved_kg": 500,
        "retired_kg": 3003,
        "available_kg": 11_497,
        "buffer_held_kg": 0,
        "buffer_used_kg": 0,
        "cancelled_kg": 0,
    }
    html = client.get("/projects/TA-CLS").get_data(as_text=True)
    for figure in ("15.000 t", "0.500 t", "3.003 t", "11.497 t"):
        assert figure in html
    assert "15.000 t" in client.get("/projects").get_data(as_text=True)
    rows = list(
        csv.DictReader(io.StringIO(client.get("/registry/retirements.csv").get_data(as_text=True)))
    )
    assert sum(int(r["quantity_kg"]) for r in rows) == api["retired_kg"]
    register = client.get("/api/v1/registry/retirements").get_json()["retirements"]
    assert sum(r["quantity_kg"] for r in register) == api["retired_kg"]


def test_projected_tonnes_are_labelled(client, populated):
    html = client.get("/projects/TA-CLS").get_data(as_text=True)
    assert "预估（事前）" in html or "Projected (ex-ante)" in html
    api = client.get("/api/v1/projects/TA-CLS").get_json()
    projected = [i for i in api["issuances"] if i["delivery"] == "projected"]
    assert projected and projected[0]["expected_years"] == [2027, 2031]
    assert api["sells_projected_tonnes"] is True


def test_anonymous_beneficiary_never_appears(client, populated):
    pages = [
        "/projects",
        "/projects/TA-CLS",
        "/registry/retirements",
        "/registry/ledger",
        "/registry/retirements.csv",
        "/registry/ledger.csv",
        "/api/v1/projects/TA-CLS",
        "/api/v1/registry/retirements",
        "/api/v1/registry/entries",
    ]
    for path in pages:
        body = client.get(path).get_data(as_text=True)
        assert SECRET_NAME not in body, path
        assert "张三丰" not in body, path
    # Searching for the hidden name finds nothing (the page only echoes the query back).
    assert client.get(f"/api/v1/registry/retirements?q={SECRET_NAME}").get_json() == {
        "retirements": [],
        "next_before": None,
    }
    html = client.get(f"/registry/retirements?q={SECRET_NAME}").get_data(as_text=True)
    assert SECRET_NAME not in re.sub(r'value="[^"]*"', "", html)
    # Initials are shown, the full name is not.
    assert "M. L." in client.get("/registry/retirements").get_data(as_text=True)
    assert "Mei Li" not in client.get("/registry/retirements.csv").get_data(as_text=True)
    assert client.get("/api/v1/registry/retirements?q=Mei").get_json()["retirements"] == []


def test_register_search_by_serial(client, populated):
    first = db.session.scalar(db.select(Issuance.serial_first).order_by(Issuance.id))
    html = client.get(f"/registry/retirements?q={first + 10}").get_data(as_text=True)
    assert "王小林" in html
    data = client.get(f"/api/v1/registry/serials/{first + 10}").get_json()
    assert data["state"] == "retired" and data["retirement"]["beneficiary"] == "王小林"
    assert client.get("/api/v1/registry/serials/999999999").status_code == 404
    assert client.get("/api/v1/registry/serials/abc").status_code == 400


def test_api_proofs_verify_against_signed_head(client, populated):
    from webapp.services.signing import Keyring, VerifyingKey, verify_tree_head

    keys_doc = client.get("/.well-known/tanhui-keys.json").get_json()
    keyring_keys = [VerifyingKey.from_jwk(k) for k in keys_doc["keys"]]
    sth = client.get("/api/v1/registry/tree-head").get_json()
    # Verify with only the published public key, as a third party would.
    from webapp.services.signing import SigningKey

    dummy = SigningKey.generate()
    assert verify_tree_head(Keyring(dummy, retired=keyring_keys), sth)
    entries = client.get("/api/v1/registry/entries?limit=1000").get_json()["entries"]
    assert len(entries) == sth["tree_size"]
    root = bytes.fromhex(sth["root_hash"])
    for e in entries:
        proof = client.get(
            f"/api/v1/registry/proofs/inclusion?seq={e['seq']}&tree_size={sth['tree_size']}"
        ).get_json()
        leaf = merkle.leaf_hash(e["canonical"].encode())
        assert leaf.hex() == e["leaf_hash"]
        assert merkle.verify_inclusion(
            leaf, e["seq"], sth["tree_size"], [bytes.fromhex(h) for h in proof["proof"]], root
        )
    cons = client.get(
        f"/api/v1/registry/proofs/consistency?first=3&second={sth['tree_size']}"
    ).get_json()
    assert merkle.verify_consistency(
        3,
        sth["tree_size"],
        bytes.fromhex(cons["first_root"]),
        root,
        [bytes.fromhex(h) for h in cons["proof"]],
    )
    assert client.get("/api/v1/registry/proofs/inclusion?seq=-1").status_code == 400
    assert client.get("/api/v1/registry/proofs/consistency?first=0").status_code == 400


def test_admin_maker_checker_through_pages(client, auth, admins, project):
    maker, checker = admins
    auth.login(email=maker.email)
    token = csrf_token(client, "/admin/projects/TA-CLS/issuances")
    response = client.post(
        "/admin/projects/TA-CLS/issuances",
        data={
            "csrf_token": token,
            "vintage": "2025",
            "period_start": "2025-01-01",
            "period_end": "2025-12-31",
            "quantity_t": "12.5",
            "price_per_tonne": "90",
            "delivery": "verified",
            "note": "test",
        },
    )
    assert response.status_code == 302
    issuance = db.session.scalar(db.select(Issuance))
    assert issuance.quantity_kg == 12_500 and issuance.status is IssuanceStatus.DRAFT
    page = client.get("/admin/projects/TA-CLS/issuances").get_data(as_text=True)
    assert f"/admin/issuances/{issuance.id}/approve" not in page
    client.post(f"/admin/issuances/{issuance.id}/approve", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Issuance, issuance.id).status is IssuanceStatus.DRAFT
    auth.logout()
    auth.login(email=checker.email)
    token = csrf_token(client, "/admin/projects/TA-CLS/issuances")
    client.post(f"/admin/issuances/{issuance.id}/approve", data={"csrf_token": token})
    client.post(f"/admin/issuances/{issuance.id}/on_sale", data={"csrf_token": token})
    db.session.expire_all()
    assert db.session.get(Issuance, issuance.id).status is IssuanceStatus.ON_SALE


def test_admin_pages_refuse_non_admins(client, auth, make_user):
    make_user("resident", email="lin@example.cn")
    assert client.get("/admin/").status_code == 302  # to login
    auth.login()
    assert client.get("/admin/").status_code == 403
    assert client.get("/admin/projects/new").status_code == 403


def test_admin_registers_a_project_with_validation(client, auth, admins):
    auth.login(email=admins[0].email)
    token = csrf_token(client, "/admin/projects/new")
    bad = client.post("/admin/projects/new", data={"csrf_token": token, "code": "bad code!"})
    assert bad.status_code == 400
    assert re.search(r"此项为必填项|This field is required", bad.get_data(as_text=True))
    good = client.post(
        "/admin/projects/new",
        data={
            "csrf_token": token,
            "code": "sc-wl",
            "name_zh": "卧龙湿地",
            "name_en": "Wolong wetland",
            "type": "wetland",
            "instrument": "carbon_puhui",
            "province": "CN-SC",
            "city_zh": "阿坝",
            "city_en": "Ngawa",
            "area_mu": "300",
            "developer_zh": "卧龙",
            "developer_en": "Wolong",
            "methodology": "CM-001",
            "crediting_start": "2025-01-01",
        },
    )
    assert good.status_code == 302
    assert client.get("/projects/SC-WL").status_code == 200


@pytest.mark.parametrize(
    ("name", "detail"),
    [('=HYPERLINK("http://evil.example","x")', "+1+1"), ("@SUM(1)", "-2+3"), ("-Minus", "@cmd")],
)
def test_public_retirements_csv_carries_no_formulas(client, project, on_sale, name, detail):
    on_sale(project, 10_000)
    a = alloc.reserve(db.session, project, 1000, "order-formula", hold=HOLD)
    alloc.retire(
        db.session,
        a,
        alloc.Beneficiary(
            name=name, privacy=Privacy.FULL, purpose=Purpose.GIFT, purpose_detail=detail
        ),
    )
    db.session.commit()
    text = client.get("/registry/retirements.csv").get_data(as_text=True)
    (row,) = csv.DictReader(io.StringIO(text))
    assert row["beneficiary"] == "'" + name
    assert row["purpose_detail"] == "'" + detail
    assert row["quantity_kg"] == "1000"  # numbers stay numbers


def test_every_csv_export_uses_the_one_safe_writer():
    from pathlib import Path

    import webapp

    root = Path(webapp.__file__).parent
    writers = [
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if re.search(r"csv\.(writer|DictWriter)\(", p.read_text(encoding="utf-8"))
    ]
    assert writers == ["services/csv_export.py"]


def test_a_bidi_override_never_reaches_the_register(project, on_sale):
    on_sale(project, 10_000)
    a = alloc.reserve(db.session, project, 1000, "order-bidi", hold=HOLD)
    with pytest.raises(DomainError, match="U\\+202E"):
        alloc.retire(
            db.session,
            a,
            alloc.Beneficiary(name="a\u202eb", privacy=Privacy.FULL, purpose=Purpose.GIFT),
        )
    db.session.rollback()
