"""The rangers' scanner in the browser: a scene (a ranger, two sponsored plots, their
certificates) and the steps every scanner browser test takes."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

from tests.support.plots import make_site
from webapp.extensions import db
from webapp.models import DedicationKind, Privacy, Role
from webapp.services import accounts, keys
from webapp.services.certificates import issuing
from webapp.services.certificates.token import CertificateKind, qr_text
from webapp.services.plots import catalogue, rangers, reservations

PASSWORD = "forest-ranger-9"


def _plot(site, species, code, x):
    return catalogue.add_plot(
        db.session,
        site,
        code=code,
        species=species,
        price=Decimal("600.00"),
        polygon=[[x, 10], [x + 20, 10], [x + 20, 30], [x, 30]],
        area_mu=Decimal("1.50"),
        tree_count=100,
    )


def scan_scene(app) -> dict[str, str]:
    """A ranger of CLS-JN, two sponsored plots and three plot certificates (one revoked)."""
    with app.app_context():
        ranger = accounts.register(
            db.session,
            email="ranger@example.cn",
            password=PASSWORD,
            display_name="老王",
            role=Role.RANGER,
        )
        admin = accounts.register(
            db.session,
            email="boss@example.cn",
            password=PASSWORD,
            display_name="站长",
            role=Role.ADMIN,
        )
        mei = accounts.register(
            db.session, email="mei@example.cn", password=PASSWORD, display_name="李梅"
        )
        site = make_site()
        rangers.assign(db.session, ranger, site, actor=admin)
        species = catalogue.add_species(
            db.session,
            site,
            code="arborvitae",
            name_zh="侧柏",
            name_en="Chinese arborvitae",
            factor_id="forest.project.suichuan.per_mu",
        )
        plots = {code: _plot(site, species, code, x) for code, x in (("A-01", 10), ("A-02", 40))}
        for code, plot in plots.items():
            reservations.reserve(db.session, [plot], f"T-{code}", timedelta(minutes=30))
            reservations.sponsor(
                db.session,
                f"T-{code}",
                user=mei,
                sponsor_name="李梅",
                privacy=Privacy.FULL,
                dedication=DedicationKind.WEDDING,
                message="",
                locale="zh_CN",
            )
        key, _ = keys.signing(app.config)

        def issue(code):
            return issuing.issue(
                db.session,
                key=key,
                kind=CertificateKind.PLOT,
                holder_name="李梅",
                privacy=Privacy.INITIALS,
                locale="zh_CN",
                owner=mei,
                plot_code=code,
            )

        valid, revoked = issue("A-01"), issue("A-02")
        issuing.revoke(db.session, revoked, reason="退款", actor=admin)
        db.session.commit()
        base = app.config["BASE_URL"]
        good = qr_text(base, valid.public_id, valid.token)
        return {
            "valid": good,
            "tampered": good.replace("A-01.", "A-02."),
            "revoked": qr_text(base, revoked.public_id, revoked.token),
            "plaque": f"{base}/P/CLS-JN/A-01".upper(),
        }


def until(page, expression: str, seconds: float = 15) -> None:
    """Poll ``expression`` (page.wait_for_function evaluates strings, which the CSP forbids)."""
    for _ in range(int(seconds * 10)):
        if page.evaluate(expression):
            return
        page.wait_for_timeout(100)
    raise AssertionError(f"timed out waiting for {expression}")


def login_ranger(page, base):
    page.goto(base + "/account/login?next=/scan")
    page.get_by_label("电子邮箱").fill("ranger@example.cn")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(re.compile(r"/scan$"))
    page.wait_for_selector("#scan-app[data-ready=true]")
