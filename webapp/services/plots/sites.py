"""Forestry-bureau staff manage memorial sites: register and edit a site, offer species
(rates read from the sourced factor set), import plots from a CSV file, add photos.

The plot import is checked as a whole: every line is validated, every problem is reported
with its line number, and nothing is added unless the whole file is right.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from webapp.errors import Conflict, DomainError
from webapp.models import MemorialSite, Plot, SitePhoto, SiteSpecies, User
from webapp.services import audit, quantities
from webapp.services.certificates.shares import RowError, SharesRefused, decode_text
from webapp.services.footprint.factors import Factor, load_factor_set
from webapp.services.plots import catalogue
from webapp.services.plots.photos import PreparedPhoto

SITE_CODE = re.compile(r"[A-Z0-9][A-Z0-9-]{1,15}")
SPECIES_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
RATE_UNIT = "tCO2e/mu/yr"
MAX_PLOT_ROWS = 2000
MAX_PLOT_FILE = 512 * 1024
MAX_REPORTED = 50
PLOT_COLUMNS = ("code", "species", "price", "area_mu", "trees", "polygon", "x", "y", "size_m")
MAX_PRICE = Decimal("1000000")
MAX_TREES = 100_000


class PlotsRefused(SharesRefused):
    """The plot file was refused; ``errors`` lists every problem by line. Nothing changed."""


@dataclass(frozen=True)
class SiteData:
    code: str
    name_zh: str
    name_en: str
    operator_zh: str
    operator_en: str
    province: str
    county_zh: str
    county_en: str
    description_zh: str = ""
    description_en: str = ""
    visiting_zh: str = ""
    visiting_en: str = ""
    planting_seasons_zh: str = ""
    planting_seasons_en: str = ""
    boundary: str = ""  # "x y; x y; …" in metres


def parse_points(text: str) -> list[list[float]]:
    """``"0 0; 120 0; 120 80"`` (or commas) → ``[[0, 0], [120, 0], [120, 80]]``."""
    points = []
    for part in (text or "").replace("\n", ";").split(";"):
        numbers = part.replace(",", " ").split()
        if not numbers:
            continue
        if len(numbers) != 2:
            raise DomainError(_l("Each point of a plot outline is a pair [x, y] in metres."))
        try:
            points.append([float(numbers[0]), float(numbers[1])])
        except ValueError as exc:
            raise DomainError(
                _l("Each point of a plot outline is a pair [x, y] in metres.")
            ) from exc
    return catalogue.check_polygon(points)


def format_points(points: list[list[float]] | None) -> str:
    return "; ".join(f"{x:g} {y:g}" for x, y in (points or []))


def _apply(site: MemorialSite, data: SiteData) -> None:
    site.name_zh, site.name_en = data.name_zh.strip(), data.name_en.strip()
    site.operator_zh, site.operator_en = data.operator_zh.strip(), data.operator_en.strip()
    site.province = data.province.strip().upper()
    site.county_zh, site.county_en = data.county_zh.strip(), data.county_en.strip()
    site.description_zh, site.description_en = data.description_zh, data.description_en
    site.visiting_zh, site.visiting_en = data.visiting_zh, data.visiting_en
    site.planting_seasons_zh = data.planting_seasons_zh.strip()
    site.planting_seasons_en = data.planting_seasons_en.strip()
    site.boundary = parse_points(data.boundary) if data.boundary.strip() else []


def register_site(session: Session, data: SiteData, *, actor: User) -> MemorialSite:
    code = data.code.strip().upper()
    if not SITE_CODE.fullmatch(code):
        raise DomainError(
            _l("A site code has 2 to 16 characters: capital letters A–Z, digits and “-”.")
        )
    if session.scalar(select(MemorialSite.id).where(MemorialSite.code == code)) is not None:
        raise Conflict(_l("A site with the code %(code)s exists already.", code=code))
    site = MemorialSite(code=code)
    _apply(site, data)
    session.add(site)
    session.flush()
    audit.record(session, "site.registered", actor=actor, subject=site, code=code)
    return site


def update_site(session: Session, site: MemorialSite, data: SiteData, *, actor: User) -> None:
    _apply(site, data)
    session.flush()
    audit.record(session, "site.updated", actor=actor, subject=site, code=site.code)


def sequestration_factors() -> list[Factor]:
    """The factor set's sequestration rates per mu and year, for the species form."""
    factors = load_factor_set()
    return sorted(
        (f for f in factors.factors.values() if f.unit == RATE_UNIT and f.value is not None),
        key=lambda f: f.id,
    )


def add_species(
    session: Session,
    site: MemorialSite,
    *,
    code: str,
    name_zh: str,
    name_en: str,
    factor_id: str,
    scientific_name: str = "",
    projection_years: int = 20,
    planting_seasons_zh: str = "",
    planting_seasons_en: str = "",
    actor: User,
) -> SiteSpecies:
    code = (code or "").strip().lower()
    if not SPECIES_CODE.fullmatch(code):
        raise DomainError(
            _l("A species code has 1 to 32 characters: lower-case letters, digits, “-” or “_”.")
        )
    if not 1 <= projection_years <= 100:
        raise DomainError(_l("The projection covers 1 to 100 years."))
    if factor_id not in {f.id for f in sequestration_factors()}:
        raise DomainError(_l("Please choose a sequestration rate from the factor set."))
    existing = session.scalar(
        select(SiteSpecies.id).where(SiteSpecies.site_id == site.id, SiteSpecies.code == code)
    )
    if existing is not None:
        raise Conflict(_l("This site offers a species with the code %(code)s already.", code=code))
    species = catalogue.add_species(
        session,
        site,
        code=code,
        name_zh=name_zh.strip(),
        name_en=name_en.strip(),
        factor_id=factor_id,
        scientific_name=scientific_name.strip(),
        projection_years=projection_years,
        planting_seasons_zh=planting_seasons_zh.strip(),
        planting_seasons_en=planting_seasons_en.strip(),
    )
    audit.record(session, "site.species_added", actor=actor, subject=site, species=code)
    return species


def _decimal(text: str) -> Decimal | None:
    if not text:
        return None
    try:
        return quantities.to_decimal(text, thousands=True)
    except quantities.InvalidQuantity:
        raise DomainError(_l("“%(value)s” is not a number.", value=text[:20])) from None


def _plot_row(
    session: Session, site: MemorialSite, species: dict[str, SiteSpecies], row: dict[str, str]
) -> Plot:
    kind = species.get(row.get("species", "").strip().lower())
    if kind is None:
        raise DomainError(_l("unknown species; add it to the site first."))
    price = _decimal(row.get("price", ""))
    if price is None or not Decimal("0") < price <= MAX_PRICE:
        raise DomainError(_l("The price must be a positive amount in yuan."))
    area = _decimal(row.get("area_mu", ""))
    trees_text = row.get("trees", "")
    if trees_text and not trees_text.isdigit():
        raise DomainError(_l("trees must be a whole number."))
    trees = int(trees_text) if trees_text else None
    if trees is not None and trees > MAX_TREES:
        raise DomainError(_l("trees must be a whole number."))
    polygon = parse_points(row["polygon"]) if row.get("polygon") else None
    centroid = size = None
    if polygon is None:
        x, y, size = (_decimal(row.get(k, "")) for k in ("x", "y", "size_m"))
        if x is None or y is None or size is None:
            raise DomainError(_l("A plot needs an outline, or a centre point and a size."))
        centroid = (x, y)
    return catalogue.add_plot(
        session,
        site,
        code=row.get("code", ""),
        species=kind,
        price=price.quantize(Decimal("0.01")),
        polygon=polygon,
        centroid=centroid,
        size_m=size,
        area_mu=area,
        tree_count=trees,
    )


def import_plots(session: Session, site: MemorialSite, data: bytes, *, actor: User) -> list[Plot]:
    """Add the plots of a CSV file (header: code,species,price,area_mu,trees,polygon,x,y,
    size_m — polygon as "x y; x y; …", or x, y and size_m for a square). All or nothing:
    raises :class:`PlotsRefused` listing every bad line; the caller rolls back."""
    if len(data) > MAX_PLOT_FILE:
        raise PlotsRefused([RowError(None, _l("The file is larger than %(kb)d KB.", kb=512))])
    text = decode_text(data)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    if "code" not in header or "species" not in header or "price" not in header:
        raise PlotsRefused(
            [
                RowError(
                    1,
                    _l(
                        "The first line must name the columns: %(cols)s.",
                        cols=", ".join(PLOT_COLUMNS),
                    ),
                )
            ]
        )
    reader.fieldnames = header
    species = {
        s.code: s
        for s in session.scalars(select(SiteSpecies).where(SiteSpecies.site_id == site.id))
    }
    taken = set(session.scalars(select(Plot.code).where(Plot.site_id == site.id)))
    plots, errors = [], []
    try:
        for row in reader:
            line = reader.line_num
            values = {
                k: unicodedata.normalize("NFC", (v or "").strip())
                for k, v in row.items()
                if k is not None and not isinstance(v, list)
            }
            if not any(values.values()):
                continue
            if len(plots) + len(errors) >= MAX_PLOT_ROWS:
                raise PlotsRefused([RowError(None, _l("At most 2000 plots per file."))])
            code = values.get("code", "").upper()
            if code in taken:
                errors.append(RowError(line, _l("plot %(code)s exists already.", code=code)))
                continue
            try:
                with session.begin_nested():
                    plots.append(_plot_row(session, site, species, values))
                taken.add(code)
            except DomainError as exc:
                errors.append(RowError(line, exc.message))
    except csv.Error as exc:
        raise PlotsRefused(
            [RowError(reader.line_num or None, _l("the line is not valid CSV."))]
        ) from exc
    if errors:
        raise PlotsRefused(errors[:MAX_REPORTED])
    if not plots:
        raise PlotsRefused([RowError(None, _l("The file contains no plots."))])
    audit.record(session, "site.plots_imported", actor=actor, subject=site, count=len(plots))
    return plots


def add_photo(
    session: Session,
    site: MemorialSite,
    photo: PreparedPhoto,
    *,
    caption_zh: str,
    caption_en: str,
    actor: User,
) -> SitePhoto:
    if len(caption_zh.strip()) > 120 or len(caption_en.strip()) > 160:
        raise DomainError(_l("A caption has at most 120 characters."))
    record = SitePhoto(
        site_id=site.id,
        path=photo.relative_path,
        sha256=photo.sha256,
        width=photo.width,
        height=photo.height,
        size_bytes=len(photo.data),
        caption_zh=caption_zh.strip(),
        caption_en=caption_en.strip(),
        added_by_id=actor.id,
    )
    session.add(record)
    session.flush()
    audit.record(session, "site.photo_added", actor=actor, subject=site, sha256=photo.sha256)
    return record


def photos_of(session: Session, site: MemorialSite) -> list[SitePhoto]:
    return list(
        session.scalars(
            select(SitePhoto).where(SitePhoto.site_id == site.id).order_by(SitePhoto.id)
        )
    )
