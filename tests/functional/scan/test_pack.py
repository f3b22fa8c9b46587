"""The site pack: signed, for the ranger's sites only, and holding nothing private."""

from __future__ import annotations

import json
import re
from decimal import Decimal

from tests.support.plots import make_site
from webapp.extensions import db
from webapp.models import Privacy
from webapp.services import keys
from webapp.services.certificates import issuing, status_list
from webapp.services.certificates.token import CertificateKind
from webapp.services.plots import catalogue
from webapp.services.scan import pack


def _setup(make_user, make_plot, sponsor_plot, issue_plot_certificate):
    mei = make_user(email="mei.private@example.cn", name="李梅本人")
    chen = make_user(email="chen.private@example.cn", name="Chen")
    zhang = make_user(email="zhang.private@example.cn", name="张家")
    full = sponsor_plot(
        make_plot("A-01"), mei, name="李梅", privacy=Privacy.FULL, message="秘密的话"
    )
    initials = sponsor_plot(make_plot("A-02"), chen, name="Chen Yu", privacy=Privacy.INITIALS)
    hidden = sponsor_plot(make_plot("A-03"), zhang, name="张建国", privacy=Privacy.ANONYMOUS)
    make_plot("A-04")  # available
    certs = {
        "full": issue_plot_certificate(full, "李梅", Privacy.FULL),
        "initials": issue_plot_certificate(initials, "Chen Yu", Privacy.INITIALS),
        "hidden": issue_plot_certificate(hidden, "张建国", Privacy.ANONYMOUS),
    }
    return certs


def test_pack_holds_the_sites_plots_keys_and_revocations_signed(
    app, client, auth, ranger, make_user, make_plot, sponsor_plot, issue_plot_certificate
):
    certs = _setup(make_user, make_plot, sponsor_plot, issue_plot_certificate)
    # The same plot code at a site the ranger is not assigned to stays out of the pack.
    other = make_site("OTHER-SITE")
    oak = catalogue.add_species(
        db.session,
        other,
        code="oak",
        name_zh="麻栎",
        name_en="Sawtooth oak",
        factor_id="forest.project.suichuan.per_mu",
    )
    far = catalogue.add_plot(
        db.session,
        other,
        code="A-01",
        species=oak,
        price=Decimal("600.00"),
        polygon=[[0, 0], [10, 0], [10, 10], [0, 10]],
        area_mu=Decimal("1.00"),
    )
    db.session.commit()
    sponsor_plot(far, make_user(email="far@example.cn"), name="远方的人")
    far_cert = issue_plot_certificate(far, "远方的人")
    key, keyring = keys.signing(app.config)
    offset = issuing.issue(
        db.session,
        key=key,
        kind=CertificateKind.OFFSET,
        holder_name="王小林",
        privacy=Privacy.FULL,
        locale="zh_CN",
        owner=None,
        quantity_kg=1000,
    )
    issuing.revoke(db.session, certs["initials"], reason="退款", actor=None)
    db.session.commit()

    auth.login("ranger@example.cn")
    response = client.get("/scan/api/pack")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    document = response.get_json()

    assert pack.verify(document, keyring)
    assert status_list.verify(document["status_list"], keyring)
    assert [s["code"] for s in document["sites"]] == ["CLS-JN"]
    assert [p["code"] for p in document["sites"][0]["plots"]] == ["A-01", "A-02", "A-03", "A-04"]
    assert set(document["certificates"]) == {c.public_id for c in certs.values()}
    assert far_cert.public_id not in document["certificates"]
    assert offset.public_id not in document["certificates"]
    entry = document["certificates"][certs["full"].public_id]
    assert entry == {
        "index": certs["full"].id,
        "kind": "plot",
        "site": "CLS-JN",
        "plot": "A-01",
        "issued_on": certs["full"].issued_on.isoformat(),
        "holder_public": "李梅",
    }
    assert document["certificates"][certs["hidden"].public_id]["holder_public"] is None
    # The revoked certificate's bit is set in the signed list the pack carries.
    bits = status_list.decode(document["status_list"]["credentialSubject"]["encodedList"])
    assert status_list.is_set(bits, certs["initials"].id)
    assert not status_list.is_set(bits, certs["full"].id)
    assert document["revocations_as_of"] == document["status_list"]["validFrom"]
    assert document["max_age_hours"] == app.config["SCAN_PACK_MAX_AGE_HOURS"]

    # Altering anything breaks the pack's signature.
    document["certificates"][certs["full"].public_id]["plot"] = "A-04"
    assert not pack.verify(document, keyring)


def test_pack_holds_nothing_private(
    app, client, auth, ranger, make_user, make_plot, sponsor_plot, issue_plot_certificate
):
    _setup(make_user, make_plot, sponsor_plot, issue_plot_certificate)
    auth.login("ranger@example.cn")
    text = client.get("/scan/api/pack").get_data(as_text=True)
    document = json.loads(text)
    # No e-mail address at all, the ranger's own included ("@context" is the W3C list's).
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)
    assert "example.cn" not in text
    for private in ("张建国", "Chen Yu", "李梅本人", "秘密的话", "护林员老王", "张家"):
        assert private not in text, private
    plots = {p["code"]: p for p in document["sites"][0]["plots"]}
    assert plots["A-01"]["sponsor_public"] == "李梅"  # shown in full, as she allowed
    assert plots["A-02"]["sponsor_public"] not in (None, "Chen Yu")  # initials only
    assert plots["A-03"]["sponsor_public"] is None  # anonymous
    assert plots["A-04"]["sponsor_public"] is None
    allowed = {
        "code",
        "status",
        "species_zh",
        "species_en",
        "tree_count",
        "area_mu",
        "planted_on",
        "sponsor_public",
    }
    assert all(set(p) == allowed for p in plots.values())


def test_pack_only_for_rangers_and_admins(client, auth, make_user, site):
    assert client.get("/scan/api/pack", headers={"Accept": "application/json"}).status_code == 401
    make_user("resident", email="res@example.cn")
    auth.login("res@example.cn")
    assert client.get("/scan/api/pack").status_code == 403
    assert client.get("/scan").status_code == 403


def test_admin_pack_covers_every_site(client, auth, make_user, site):
    make_user("admin", email="admin@example.cn")
    auth.login("admin@example.cn")
    document = client.get("/scan/api/pack").get_json()
    assert [s["code"] for s in document["sites"]] == ["CLS-JN"]
