"""Read-only questions about memorial sites, their species and plots."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from webapp.localtime import local_date
from webapp.models import MemorialSite, Plot, PlotStatus, PlotUpdate, SiteSpecies, User
from webapp.services.footprint.factors import load_factor_set

TONNES = Decimal("0.01")


def public_sites(session: Session) -> list[MemorialSite]:
    return list(session.scalars(select(MemorialSite).order_by(MemorialSite.code)))


def site_by_code(session: Session, code: str) -> MemorialSite | None:
    if not code or len(code) > 16:
        return None
    return session.scalar(select(MemorialSite).where(MemorialSite.code == code.upper()))


def site_species(session: Session, site: MemorialSite) -> list[SiteSpecies]:
    return list(
        session.scalars(
            select(SiteSpecies).where(SiteSpecies.site_id == site.id).order_by(SiteSpecies.id)
        )
    )


def site_plots(session: Session, site: MemorialSite) -> list[Plot]:
    return list(
        session.scalars(
            select(Plot)
            .where(Plot.site_id == site.id)
            .options(selectinload(Plot.species))
            .order_by(Plot.code)
        )
    )


def plot_by_code(session: Session, site: MemorialSite, code: str) -> Plot | None:
    if not code or len(code) > 16:
        return None
    return session.scalar(
        select(Plot)
        .where(Plot.site_id == site.id, Plot.code == code.upper())
        .options(
            selectinload(Plot.species),
            selectinload(Plot.updates).selectinload(PlotUpdate.photos),
        )
    )


def plots_by_codes(session: Session, site: MemorialSite, codes: Iterable[str]) -> list[Plot]:
    wanted = sorted({c.strip().upper() for c in codes if c.strip()})
    if not wanted:
        return []
    return list(
        session.scalars(
            select(Plot).where(Plot.site_id == site.id, Plot.code.in_(wanted)).order_by(Plot.id)
        )
    )


def plots_held_by(session: Session, holder_ref: str) -> list[Plot]:
    return list(
        session.scalars(select(Plot).where(Plot.holder_ref == holder_ref).order_by(Plot.id))
    )


def plots_sponsored_by(session: Session, user: User) -> list[Plot]:
    """A sponsor's plots (their contribution, not an offset), newest sponsorship first."""
    return list(
        session.scalars(
            select(Plot)
            .where(Plot.sponsor_user_id == user.id)
            .options(selectinload(Plot.site), selectinload(Plot.species))
            .order_by(Plot.sponsored_at.desc(), Plot.id)
        )
    )


@dataclass(frozen=True)
class SiteSummary:
    total: int = 0
    available: int = 0
    sponsored: int = 0


def site_summaries(session: Session) -> dict[int, SiteSummary]:
    counts: dict[int, Counter[PlotStatus]] = {}
    for site_id, status, n in session.execute(
        select(Plot.site_id, Plot.status, func.count()).group_by(Plot.site_id, Plot.status)
    ):
        counts.setdefault(site_id, Counter())[status] = n
    return {
        site_id: SiteSummary(
            total=sum(c.values()),
            available=c[PlotStatus.AVAILABLE],
            sponsored=sum(n for s, n in c.items() if s not in _OPEN),
        )
        for site_id, c in counts.items()
    }


_OPEN = (PlotStatus.AVAILABLE, PlotStatus.RESERVED)


def status_counts(plots: Sequence[Plot]) -> dict[PlotStatus, int]:
    counter = Counter(p.status for p in plots)
    return {status: counter[status] for status in PlotStatus}


@dataclass(frozen=True)
class Citation:
    """What a reader is shown for a species' rate: the publication and its status."""

    text: str
    url: str | None
    verification: str


def citation(species: SiteSpecies) -> Citation:
    """The citation of a species' rate, read from the factor set it was taken from.

    The row's own ``source`` copy is kept as stored; rows made before citations existed
    hold the compiled source text, so the factor set is the one place pages read from."""
    try:
        factor = load_factor_set(species.factor_set).get(species.factor_id)
    except LookupError:  # a factor set no longer shipped: say what was stored, unverified
        return Citation(species.source, species.source_url, "UNVERIFIED")
    return Citation(factor.citation, factor.link, factor.verification)


def citations(species: Sequence[SiteSpecies]) -> dict[int, Citation]:
    return {s.id: citation(s) for s in species}


@dataclass(frozen=True)
class Projection:
    """Expected (ex-ante) sequestration of a plot: never a measured quantity."""

    rate_t_per_mu_year: Decimal
    area_mu: Decimal
    t_per_year: Decimal
    years: int
    total_t: Decimal
    first_year: int | None  # None until the plot is planted
    last_year: int | None
    factor_set: str
    factor_id: str
    source: str  # the rate's citation (see :func:`citation`)
    source_url: str | None
    verification: str


def projection(plot: Plot) -> Projection | None:
    """rate (t/mu/yr, sourced) × area (mu); None for plots counted only in trees."""
    species = plot.species
    if plot.area_mu is None or species is None:
        return None
    per_year = (species.rate_t_per_mu_year * plot.area_mu).quantize(TONNES, ROUND_HALF_UP)
    total = (species.rate_t_per_mu_year * plot.area_mu * species.projection_years).quantize(
        TONNES, ROUND_HALF_UP
    )
    first = plot.planted_on.year if plot.planted_on else None
    cited = citation(species)
    return Projection(
        rate_t_per_mu_year=species.rate_t_per_mu_year,
        area_mu=plot.area_mu,
        t_per_year=per_year,
        years=species.projection_years,
        total_t=total,
        first_year=first,
        last_year=first + species.projection_years - 1 if first is not None else None,
        factor_set=species.factor_set,
        factor_id=species.factor_id,
        source=cited.text,
        source_url=cited.url,
        verification=cited.verification,
    )


def latest_survival(plot: Plot) -> tuple[int, date] | None:
    """The most recent survival count a ranger reported, with its date."""
    for update in plot.updates:  # newest first
        if update.survival_count is not None:
            return update.survival_count, local_date(update.created_at)
    return None
