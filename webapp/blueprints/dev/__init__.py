"""Development-only pages (registered only when DEV_PAGES is on; never in production),
answered only to clients on this machine: the outbox holds password-reset links, and a
development or staging server is often reachable by others."""

from flask import Blueprint, abort, current_app, request

bp = Blueprint("dev", __name__, url_prefix="/dev")
_LOOPBACK = frozenset({"127.0.0.1", "::1"})


@bp.before_request
def only_here_and_never_in_production() -> None:
    # Through a proxy the loopback address is the proxy's, not the client's: refused too.
    local = request.remote_addr in _LOOPBACK and "X-Forwarded-For" not in request.headers
    if not local or current_app.config.get("ENV_NAME") == "production":
        abort(404)


from webapp.blueprints.dev import views  # noqa: E402,F401
