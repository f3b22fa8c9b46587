"""Work a new server process would otherwise do inside its first requests, done before it
takes any (gunicorn's ``post_worker_init``, gunicorn.conf.py).

A fresh worker's first verify page took about half a second: configuring the ORM's mappers
(~0.15 s), compiling the page's templates (~0.25 s), loading the catalogues and compiling
the first statements. Workers are recycled every 10,000–15,000 requests, so under load
that half second was a request-path stall every few seconds somewhere — the verify page's
p99, not its median. Here the same work runs while the worker is not yet accepting.

Generic steps are here; a domain adds its own with :func:`register` (the verify
blueprint warms its page and its state read). A step that fails (the database down at
boot) is logged and skipped: the request that needs it does the work as before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import Flask
from flask_babel import get_translations, refresh
from sqlalchemy.orm import configure_mappers

log = logging.getLogger(__name__)

_KEY = "tanhui.warmups"
# Every page extends the layout; the error page is what a failing first request shows.
BASE_TEMPLATES = ("base.html", "errors/error.html")

Step = Callable[[Flask], None]


def register(app: Flask, step: Step) -> None:
    """Run ``step(app)`` when a server process warms up (in an application context)."""
    app.extensions.setdefault(_KEY, []).append(step)


def templates(*names: str) -> Step:
    """A step that compiles these templates (each once per process, as Jinja caches them)."""

    def compile_templates(app: Flask) -> None:
        for name in names:
            app.jinja_env.get_template(name)

    return compile_templates


def warm(app: Flask) -> float:
    """Run every step; returns the seconds it took."""
    started = time.perf_counter()
    steps: list[Step] = [_mappers, templates(*BASE_TEMPLATES), _catalogues]
    steps += app.extensions.get(_KEY, [])
    with app.app_context():
        for step in steps:
            try:
                step(app)
            except Exception:  # a cold first request is the fallback
                log.warning(
                    "warm-up step %s failed", getattr(step, "__name__", step), exc_info=True
                )
    return time.perf_counter() - started


def _mappers(_app: Flask) -> None:
    configure_mappers()


def _catalogues(app: Flask) -> None:
    for code in app.config.get("LANGUAGES", {}):
        with app.test_request_context(headers={"Cookie": f"lang={code}"}):
            refresh()
            get_translations()
