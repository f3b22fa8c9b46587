"""Why a PDF could not be rendered (shared by :mod:`.render` and :mod:`.fonts`)."""

from __future__ import annotations


class RenderError(RuntimeError):
    """The document could not be rendered as designed."""


class FetchRefusedError(RenderError):
    """The document asked for a resource outside ``static/``."""


class LayoutDoesNotFitError(RenderError):
    """No layout offered to :func:`webapp.services.pdf.render.render` fitted its page."""
