"""`flask demo-data` lays out the demo site's plots once, labelled demo, with its ranger."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from webapp.extensions import db
from webapp.models import LedgerEntry, MemorialSite, Plot, PlotStatus, PlotUpdate, SiteSpecies
from webapp.services import accounts
from webapp.services.plots import rangers


def _snapshot():
    db.session.expire_all()
    return (
        db.session.scalar(select(func.count()).select_from(Plot)),
        db.session.scalar(select(func.count()).select_from(SiteSpecies)),
        db.session.scalar(select(func.count()).select_from(PlotUpdate)),
        db.session.scalar(
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.kind == "sponsorship")
        ),
    )


def test_demo_data_adds_plots_once(app, runner, client):
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    first = _snapshot()
    assert first[0] == 24 and first[1] == 3
    site = db.session.scalar(select(MemorialSite).where(MemorialSite.code == "CLS-JN"))
    plots = db.session.scalars(select(Plot).where(Plot.site_id == site.id)).all()
    assert all(p.is_demo for p in plots) and site.is_demo
    statuses = Counter(p.status for p in plots)
    assert len(statuses) >= 6
    assert statuses[PlotStatus.AVAILABLE] >= 10
    assert first[3] == sum(n for s, n in statuses.items() if s is not PlotStatus.AVAILABLE) - 1
    ranger = accounts.find_by_email(db.session, "ranger@tanhui.local")
    assert rangers.is_assigned(db.session, ranger, site)
    for plot in plots:
        if plot.planted_on is not None and plot.sponsored_at is not None:
            assert plot.sponsored_at.date() <= plot.planted_on

    # Every sponsored demo plot has one real, signed plot certificate, issued once.
    from webapp.models import Certificate

    sponsored = [p for p in plots if p.is_sponsored]
    certificates = db.session.scalars(select(Certificate).where(Certificate.kind == "plot")).all()
    assert sorted(c.plot_id for c in certificates) == sorted(p.id for p in sponsored)
    assert "demo plot certificates issued" in result.output

    again = runner.invoke(args=["demo-data"])
    assert again.exit_code == 0, again.output
    assert _snapshot() == first
    assert len(
        db.session.scalars(select(Certificate).where(Certificate.kind == "plot")).all()
    ) == len(sponsored)

    client.set_cookie("lang", "en")
    html = client.get("/sites/CLS-JN").get_data(as_text=True)
    assert "Demo data" in html and html.count('class="plot-link"') == 24
