"""HTML to PDF with WeasyPrint: the one render API of the application.

Public API: :func:`render` (lay out, check the fit, write the PDF), :func:`stylesheet`
(a stylesheet parsed once per process), :func:`static_url` (where a static folder is
served to WeasyPrint), :class:`StaticFetcher` and :class:`Rendered`.

Isolation. WeasyPrint loads resources only through :class:`StaticFetcher`, which serves
files under ``static/`` for the private ``tanhui-static:`` scheme and refuses everything
else — ``file:``, ``http(s):``, ``data:`` (our SVG is inline or a static file, so nothing
needs ``data:``). A refused fetch fails the render: a document never silently loses its
stylesheet or emblem.

Fonts. One module-level ``FontConfiguration`` is reused (a new one per render keeps
growing memory). WeasyPrint's Pango/fontconfig state is not documented as thread-safe,
so renders in one process are serialised by one lock (workers are processes, so this
costs no parallelism). Certificates ask for compact fonts (:mod:`.fonts`).
"""

from __future__ import annotations

import contextlib
import functools
import posixpath
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from webapp.services.pdf.errors import FetchRefusedError, LayoutDoesNotFitError, RenderError

if TYPE_CHECKING:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

__all__ = [
    "STATIC_SCHEME",
    "FetchRefusedError",
    "LayoutDoesNotFitError",
    "RenderError",
    "Rendered",
    "StaticFetcher",
    "render",
    "static_url",
    "stylesheet",
]

REPO_ROOT = Path(__file__).resolve().parents[3]
STATIC_DIR = REPO_ROOT / "static"
STATIC_SCHEME = "tanhui-static"

_MIME_TYPES = {".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png"}
_TEXT_TYPES = {".css", ".svg"}

# urljoin() resolves relative references only for schemes it knows; registering ours
# lets "emblem.svg" in a template or stylesheet resolve against a static_url() base.
if STATIC_SCHEME not in urllib.parse.uses_relative:
    urllib.parse.uses_relative.append(STATIC_SCHEME)

_RENDER_LOCK = threading.Lock()


# WeasyPrint (with its fonts and our font patch) is imported at the first render, not
# when the app is created: it costs about a second of start-up that every command and
# worker that renders nothing (`flask registry verify`, migrations) would pay.
def _weasyprint() -> ModuleType:
    import weasyprint

    from webapp.services.pdf import fonts  # noqa: F401  (patches WeasyPrint's subsetting)

    return weasyprint


@functools.cache
def font_config() -> FontConfiguration:
    """The one ``FontConfiguration`` of this process (a new one per render keeps
    re-reading the fonts)."""
    _weasyprint()
    from weasyprint.text.fonts import FontConfiguration

    return FontConfiguration()


def __getattr__(name: str) -> Any:
    if name == "_FONT_CONFIG":  # the name it had when made at import
        return font_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def static_url(folder: str) -> str:
    """Base URL under which WeasyPrint sees ``static/<folder>/``."""
    return f"{STATIC_SCHEME}:/{folder}/"


@dataclass
class StaticFetcher:
    """WeasyPrint ``url_fetcher`` serving only files under ``static/``.

    Records every request: ``fetched`` (served) and ``refused`` URLs.
    """

    root: Path = STATIC_DIR
    fetched: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)

    def resolve(self, url: str) -> Path | None:
        """The file ``url`` names, or ``None`` if it is not ours to serve."""
        try:
            parts = urllib.parse.urlsplit(url)
        except ValueError:
            return None
        if (
            parts.scheme != STATIC_SCHEME
            or parts.netloc
            or parts.query
            or parts.fragment
            or not parts.path.startswith("/")
            or "%" in parts.path
            or "\\" in parts.path
        ):
            return None
        relative = posixpath.normpath(parts.path).lstrip("/")
        if relative.startswith("..") or Path(relative).suffix not in _MIME_TYPES:
            return None
        root = self.root.resolve()
        # resolve() follows symlinks: a link inside static/ pointing out is refused too.
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path

    def __call__(self, url: str, timeout: float = 10, ssl_context: Any = None) -> dict[str, Any]:
        path = self.resolve(url)
        if path is None:
            self.refused.append(url)
            raise FetchRefusedError(
                f"refused to fetch {url!r}: only {STATIC_SCHEME}:/ files are served"
            )
        self.fetched.append(url)
        result: dict[str, Any] = {
            "string": path.read_bytes(),
            "mime_type": _MIME_TYPES[path.suffix],
            "redirected_url": url,
        }
        if path.suffix in _TEXT_TYPES:
            result["encoding"] = "utf-8"
        return result


@dataclass(frozen=True)
class Rendered:
    """A rendered PDF and the resources its rendering requested."""

    pdf: bytes
    fetched: tuple[str, ...]
    refused: tuple[str, ...]


@functools.cache
def stylesheet(url: str) -> weasyprint.CSS:
    """The stylesheet at ``url``, fetched and parsed once per process (~20 ms a render)."""
    return _weasyprint().CSS(url=url, url_fetcher=StaticFetcher(), font_config=font_config())


def render(
    layouts: Iterable[str],
    *,
    base_url: str,
    stylesheet_url: str,
    cache_stylesheet: bool = False,
    fits: Callable[[weasyprint.Document], bool] | None = None,
    compact_fonts: bool = False,
) -> Rendered:
    """Lay out each HTML of ``layouts`` in turn until one ``fits``; write it as PDF.

    ``layouts`` is consumed lazily, so a fallback layout is built only when needed.
    Without ``fits`` the first layout is written. ``cache_stylesheet`` parses the
    stylesheet once per process (:func:`stylesheet`) instead of at every render.
    ``compact_fonts`` subsets and embeds Noto CJK compactly (:mod:`.fonts`).

    Raises :class:`FetchRefusedError` if anything outside ``static/`` was asked for,
    :class:`LayoutDoesNotFitError` if no layout fits, and :class:`RenderError` if a
    font cannot be compacted.
    """
    weasyprint = _weasyprint()
    from webapp.services.pdf import fonts

    fetcher = StaticFetcher()
    with _RENDER_LOCK:
        subsetting = fonts.fast_subsetting() if compact_fonts else contextlib.nullcontext()
        with subsetting:
            css = (
                stylesheet(stylesheet_url)
                if cache_stylesheet
                else weasyprint.CSS(
                    url=stylesheet_url, url_fetcher=fetcher, font_config=font_config()
                )
            )
            for html in layouts:
                document = weasyprint.HTML(
                    string=html, base_url=base_url, url_fetcher=fetcher
                ).render(font_config=font_config(), stylesheets=[css])
                if fetcher.refused:
                    raise FetchRefusedError(f"refused resources: {fetcher.refused}")
                if fits is None or fits(document):
                    break
            else:
                raise LayoutDoesNotFitError("no layout fits its page")
            pdf = document.write_pdf(finisher=fonts.compact_fonts if compact_fonts else None)
    return Rendered(pdf=pdf, fetched=tuple(fetcher.fetched), refused=tuple(fetcher.refused))
