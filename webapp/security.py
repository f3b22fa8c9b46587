"""Security baseline: response headers and safe redirects."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
        "worker-src 'self'",
        "manifest-src 'self'",
    ]
)


def is_safe_next(target: str | None) -> bool:
    """Only same-site, path-only targets: no scheme, no host, no protocol-relative '//'."""
    if not target or not isinstance(target, str):
        return False
    if any(ch in target for ch in ("\\", "\r", "\n", "\t")) or not target.startswith("/"):
        return False
    if target.startswith("//"):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, fallback: str) -> str:
    return target if is_safe_next(target) else fallback


def from_this_site() -> bool:
    """Whether the browser says this request comes from one of our own pages.

    Used instead of a CSRF token where a token would cost every anonymous page a session
    (the language switch, on pages shared between visitors such as ``/v/<id>``). Browsers
    send ``Sec-Fetch-Site`` (all current ones) or ``Origin`` on a cross-site POST; a request
    carrying neither (an old browser, a script) is not a forgery by a third-party page.
    """
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None:
        return fetch_site in ("same-origin", "none")
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == request.host
    referer = request.headers.get("Referer")
    return referer is None or urlsplit(referer).netloc == request.host


def register_security_headers(app: Flask) -> None:
    @app.after_request
    def headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault(
            "Permissions-Policy", "geolocation=(), microphone=(), camera=(self)"
        )
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            response.headers.setdefault(
                "Strict-Transport-Security", "max-age=31536000; includeSubDomains"
            )
        if request.endpoint and request.endpoint.startswith(("account.", "dev.")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def role_required(*roles: object):
    """View decorator: signed in and holding one of ``roles``; 403 otherwise."""
    from functools import wraps

    from flask import abort
    from flask_login import current_user

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            from webapp.extensions import login_manager

            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
