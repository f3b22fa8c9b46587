from __future__ import annotations

import logging
import time
from collections.abc import Callable

from flask import current_app, jsonify
from sqlalchemy import text

from webapp.blueprints.health import bp
from webapp.extensions import db
from webapp.services import keys, storage

log = logging.getLogger(__name__)


@bp.get("/healthz")
def healthz():
    """The process answers; touches nothing else (a liveness probe)."""
    return jsonify(status="ok"), 200, {"Cache-Control": "no-store"}


def _redis_urls(config) -> list[str]:
    urls = [config.get("REDIS_URL"), config.get("RQ_REDIS_URL")]
    limiter_uri = config.get("RATELIMIT_STORAGE_URI") or ""
    if limiter_uri.startswith(("redis://", "rediss://")):
        urls.append(limiter_uri)
    return sorted({u for u in urls if u})


def _check_database() -> None:
    try:
        db.session.execute(text("SELECT 1"))
    finally:
        db.session.rollback()


def _check_redis(url: str) -> Callable[[], None]:
    def check() -> None:
        from webapp.background.queue import redis_client

        client = redis_client(url)
        try:
            client.ping()
        finally:
            client.close()

    return check


def _check_signing() -> None:
    keys.check(current_app.config)


def _check_storage() -> None:
    storage.probe(storage.from_config(current_app.config, "certificates"))


@bp.get("/readyz")
def readyz():
    """Ready for traffic: the signing key loads and signs, the database answers, every
    configured Redis answers, and the certificate store takes a write. 503 with the failing
    check named otherwise."""
    checks: dict[str, Callable[[], None]] = {
        "signing": _check_signing,
        "database": _check_database,
    }
    for number, url in enumerate(_redis_urls(current_app.config), start=1):
        checks[f"redis{number}"] = _check_redis(url)
    checks["storage"] = _check_storage
    results = {}
    ok = True
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            check()
        except Exception as exc:
            ok = False
            log.warning("readiness check %s failed: %s", name, exc)
            results[name] = {"ok": False, "error": type(exc).__name__}
        else:
            results[name] = {"ok": True, "ms": round((time.perf_counter() - started) * 1000, 1)}
    body = {"status": "ok" if ok else "unavailable", "checks": results}
    return jsonify(body), 200 if ok else 503, {"Cache-Control": "no-store"}
