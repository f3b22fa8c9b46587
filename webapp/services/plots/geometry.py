"""The site map as plain data for an inline SVG, drawn from the stored geometry.

Coordinates are metres in the site's local grid (x east, y north). SVG's y axis points
down, so y is flipped; one SVG unit is one metre. No map tiles, no network.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from webapp.models import MemorialSite, Plot, PlotStatus

MARGIN = 8.0  # metres around the boundary


@dataclass(frozen=True)
class MapPlot:
    plot: Plot
    points: str  # SVG "x,y x,y …"
    label_x: float
    label_y: float
    label_size: float  # font size in metres, to fit the plot
    href: str


@dataclass(frozen=True)
class SiteMap:
    view_box: str
    width: float
    height: float
    boundary: str | None
    plots: list[MapPlot]
    scale_x: float  # start of the 50 m scale bar
    scale_y: float


def outline(plot: Plot) -> list[tuple[float, float]]:
    """The plot's polygon, or the square of ``size_m`` around its centroid."""
    if plot.polygon:
        return [(float(x), float(y)) for x, y in plot.polygon]
    cx, cy = float(plot.centroid_x or 0), float(plot.centroid_y or 0)
    half = float(plot.size_m or 0) / 2
    return [
        (cx - half, cy - half),
        (cx + half, cy - half),
        (cx + half, cy + half),
        (cx - half, cy + half),
    ]


def centroid(points: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Area centroid of a simple polygon (vertex mean if degenerate)."""
    area = cx = cy = 0.0
    n = len(points)
    for i in range(n):
        x0, y0 = points[i]
        x1, y1 = points[(i + 1) % n]
        cross = x0 * y1 - x1 * y0
        area += cross
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    if abs(area) < 1e-9:
        return sum(p[0] for p in points) / n, sum(p[1] for p in points) / n
    return cx / (3 * area), cy / (3 * area)


def _fmt(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def site_map(site: MemorialSite, plots: Sequence[Plot], href: Callable[[Plot], str]) -> SiteMap:
    shapes = [(plot, outline(plot)) for plot in plots]
    everything = [pt for _, pts in shapes for pt in pts] + [
        (float(x), float(y)) for x, y in (site.boundary or [])
    ]
    if not everything:
        everything = [(0.0, 0.0), (100.0, 100.0)]
    min_x = min(p[0] for p in everything) - MARGIN
    max_x = max(p[0] for p in everything) + MARGIN
    min_y = min(p[1] for p in everything) - MARGIN - 12  # room for the scale bar below
    max_y = max(p[1] for p in everything) + MARGIN

    def svg(points: Sequence[tuple[float, float]]) -> str:
        return " ".join(f"{_fmt(x - min_x)},{_fmt(max_y - y)}" for x, y in points)

    boundary = svg([(float(x), float(y)) for x, y in site.boundary]) if site.boundary else None
    items = []
    for plot, pts in shapes:
        cx, cy = centroid(pts)
        width = max(p[0] for p in pts) - min(p[0] for p in pts)
        size = max(4.0, min(8.0, width / max(len(plot.code), 1) * 1.4))
        items.append(
            MapPlot(
                plot=plot,
                points=svg(pts),
                label_x=round(cx - min_x, 1),
                label_y=round(max_y - cy, 1),
                label_size=round(size, 1),
                href=href(plot),
            )
        )
    width, height = max_x - min_x, max_y - min_y
    return SiteMap(
        view_box=f"0 0 {_fmt(width)} {_fmt(height)}",
        width=round(width, 1),
        height=round(height, 1),
        boundary=boundary,
        plots=items,
        scale_x=MARGIN,
        scale_y=round(height - 6, 1),
    )


# Statuses in the order the legend lists them.
LEGEND = list(PlotStatus)
