"""Plain data for a plot sponsorship certificate (``certificates.context.PlotDetails``).

Order fulfilment issues the certificate; this builds what it prints from the plot, so
the projection shown on the certificate is the same as on the plot page.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from webapp.models import Certificate, DedicationKind, Plot
from webapp.services.certificates.context import IncompleteCertificateError, PlotDetails
from webapp.services.certificates.coverage import Coverage
from webapp.services.plots.queries import projection
from webapp.services.scan import links

# "作为{kind_zh}" / "as a {kind_en}" on the certificate.
DEDICATION_WORDS: dict[DedicationKind, tuple[str, str]] = {
    DedicationKind.MEMORIAL: ("纪念树", "memorial tree"),
    DedicationKind.WEDDING: ("喜事纪念树", "wedding tree"),
    DedicationKind.BIRTH: ("出生纪念树", "birth tree"),
    DedicationKind.GRADUATION: ("毕业纪念树", "graduation tree"),
    DedicationKind.COMPANY: ("企业纪念林", "company forest"),
    DedicationKind.OTHER: ("纪念树", "dedication tree"),
}


def projected_years(plot: Plot, today: date) -> tuple[int, int]:
    """Years the projection covers: from planting, or from next year until it is planted."""
    first = plot.planted_on.year if plot.planted_on else today.year + 1
    return first, first + plot.species.projection_years - 1


def certificate_details(plot: Plot, today: date) -> PlotDetails:
    kind = plot.dedication_kind or DedicationKind.OTHER
    kind_zh, kind_en = DEDICATION_WORDS[kind]
    first, last = projected_years(plot, today)
    projected = projection(plot)
    return PlotDetails(
        site_name_zh=plot.site.name_zh,
        site_name_en=plot.site.name_en,
        plot_code=plot.code,
        location_zh=plot.site.county_zh or plot.site.name_zh,
        location_en=plot.site.county_en or plot.site.name_en,
        trees=plot.tree_count,
        area_mu=plot.area_mu,
        species_zh=plot.species.name_zh,
        species_en=plot.species.name_en,
        dedication_kind_zh=kind_zh,
        dedication_kind_en=kind_en,
        dedication_message=plot.dedication_message,
        projected_t_per_year=projected.t_per_year if projected else None,
        projected_years=f"{first}–{last}",
    )


def plot_details(session: Session, certificate: Certificate, facts: Coverage) -> PlotDetails:
    """The details builder of plot certificates (registered in ``registration.py``)."""
    plot = links.plot_of_certificate(session, certificate)
    if plot is None:
        raise IncompleteCertificateError(f"certificate {certificate.public_id} names no plot")
    return certificate_details(plot, certificate.issued_on)
