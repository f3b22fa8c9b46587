"""``/scan``: an installable web app that verifies certificates with the network off.

The page, its scripts and styles are cached by a service worker (``/scan/sw.js``, scope
``/scan``); the site pack (keys, revocation list, plots, certificates) and the visit log
live in the device's IndexedDB. JSON endpoints: ``/scan/api/pack`` (download),
``/scan/api/session`` (a fresh CSRF token before an upload) and ``/scan/api/visits``
(upload; session cookie + ``X-CSRFToken`` header, checked by CSRFProtect like any POST).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from functools import wraps
from pathlib import Path

from flask import (
    Response,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from webapp.blueprints.scan import bp
from webapp.errors import DomainError
from webapp.extensions import db
from webapp.models import Role, ScanResult
from webapp.security import role_required
from webapp.services import keys
from webapp.services.planting import checkins
from webapp.services.scan import pack, visits
from webapp.unit_of_work import committing

# What the service worker caches for offline use (paths under static/).
STATIC_ASSETS = (
    "css/app.css",
    "img/logo.svg",
    "scan/scan.css",
    "scan/app.js",
    "scan/crypto.js",
    "scan/store.js",
    "scan/camera.js",
    "scan/icon-192.png",
    "scan/icon-512.png",
    "vendor/jsQR.js",
)
SCOPE = "/scan"


def _api_role(view):
    """JSON endpoints: 401/403 as JSON instead of a redirect to the login page."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            abort(401)
        if current_user.role not in (Role.RANGER, Role.ADMIN):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _assets() -> list[str]:
    """The cached files that exist (``static/vendor`` is built by ``make setup``)."""
    static = Path(current_app.static_folder or "")
    return [name for name in STATIC_ASSETS if (static / name).is_file()]


def _asset_version() -> str:
    """A digest of the cached files, so a new deployment replaces the device's cache."""
    cached = current_app.extensions.get("scan_asset_version")
    if cached is not None and not current_app.debug:
        return cached
    digest = hashlib.sha256()
    static = Path(current_app.static_folder or "")
    for name in STATIC_ASSETS:
        path = static / name
        digest.update(name.encode())
        digest.update(path.read_bytes() if path.is_file() else b"missing")
    version = digest.hexdigest()[:16]
    current_app.extensions["scan_asset_version"] = version
    return version


def _strings() -> dict[str, str]:
    """Every text the scripts show, translated here (the scripts hold none)."""
    return {
        "valid": _("VALID"),
        "revoked": _("REVOKED"),
        "invalid": _("INVALID"),
        "unknown": _("NOT IN THE PACK"),
        "valid_text": _("The signature is genuine and the certificate is not revoked."),
        "revoked_text": _("The signature is genuine, but the certificate has been revoked."),
        "invalid_text": _("This code was altered or was not issued by Tanhui."),
        "unknown_text": _(
            "The signature is genuine, but this is not a certificate of your sites' plots: "
            "its revocation cannot be checked offline."
        ),
        "mismatch_text": _("Signed, but it does not match the registry's record."),
        "valid_number_text": _(
            "A certificate with this number is in the registry and is not revoked. A typed "
            "number does not prove the paper genuine: compare the details below with it, or "
            "scan its QR code."
        ),
        "revoked_number_text": _("The certificate with this number has been revoked."),
        "missing_number_text": _("No certificate has this number. Check the number typed."),
        "unknown_number_text": _(
            "This number is not in the site pack: it is not a plot certificate of your sites."
        ),
        "not_certificate": _(
            "That is neither a certificate number (ten letters and digits, such as "
            "7K3MP-Q9XRT) nor the text of a certificate's QR code."
        ),
        "source_pack": _("Checked against the site pack of %(time)s."),
        "source_online": _("Checked online with the registry."),
        "source_offline": _(
            "Not in the site pack, and the registry cannot be reached: check again when you "
            "have signal."
        ),
        "no_pack": _("No site pack on this device yet. Download one while you have signal."),
        "pack_bad": _("The stored site pack failed its signature check. Download it again."),
        "pack_as_of": _("Revocations as of %(time)s (%(age)s ago)"),
        "pack_old": _(
            "This pack is older than %(hours)s hours: revocations since then are not known. "
            "Download a new one when you have signal."
        ),
        "pack_sites": _("Sites in the pack: %(sites)s"),
        "downloading": _("Downloading…"),
        "downloaded": _("Site pack downloaded."),
        "download_failed": _("The pack could not be downloaded. Are you online and signed in?"),
        "hours": _("%(n)s h"),
        "minutes": _("%(n)s min"),
        "certificate": _("Certificate"),
        "kind_plot": _("Plot sponsorship"),
        "kind_offset": _("Offset"),
        "kind_event": _("Zero-carbon event"),
        "issued": _("Issued"),
        "holder": _("Holder"),
        "anonymous": _("Anonymous"),
        "site": _("Site"),
        "plot": _("Plot"),
        "species": _("Species"),
        "sponsor": _("Sponsor"),
        "quantity": _("Quantity"),
        "kg": _("%(n)s kg CO₂e"),
        "match": _("MATCH"),
        "no_match": _("NO MATCH"),
        "match_text": _("This certificate belongs to plot %(plot)s."),
        "no_match_text": _("This certificate does not belong to plot %(plot)s."),
        "plaque_unknown": _("That is not a plot plaque of a site in your pack."),
        "plaque_first": _("Check a certificate first."),
        "not_plaque": _("That is not a plot plaque code."),
        "recorded": _("Visit recorded on this device."),
        "already_recorded": _("This certificate was already recorded today on this device."),
        "nothing_to_record": _("Check a certificate first."),
        "log_waiting": _("waiting to upload"),
        "log_created": _("uploaded"),
        "log_exists": _("uploaded"),
        "log_duplicate": _("uploaded · also scanned on another device"),
        "log_duplicate_same": _("uploaded · already scanned today"),
        "log_rejected": _("refused: %(reason)s"),
        "log_empty": _("No visits recorded on this device."),
        "sync_pending": _("%(n)s visits waiting to upload."),
        "sync_done": _("All visits are uploaded."),
        "sync_failed": _("Upload failed; it will be retried when the network returns."),
        "syncing": _("Uploading…"),
        "offline": _("Offline"),
        "online": _("Online"),
        "no_camera": _("No camera is available here: type or paste the code, or decode a photo."),
        "no_qr": _("No QR code was found in that picture."),
        "pass": _("Pass"),
        "people": _("People"),
        "trees_n": _("%(n)s trees"),
        "pass_no_day": _("Choose the planting day first."),
        "pass_invalid": _("This is not a genuine pass: it was altered or not signed by Tanhui."),
        "pass_other_site": _("This pass is for another site (%(site)s), not this one."),
        "pass_other_day": _("This pass is for another planting day (%(code)s), not this one."),
        "pass_valid": _("A genuine pass for this planting day, for %(n)s people."),
        "pass_not_in_pack": _(
            "A genuine pass for this planting day, registered after the pack was downloaded: "
            "the server checks its registration when the check-in is uploaded."
        ),
        "pass_first": _("Check a pass first."),
        "attendees_range": _("People present: a whole number from 0 to %(n)s."),
        "trees_range": _("Trees planted must be a whole number from 0 to 10,000."),
        "pass_already_here": _("This pass was already checked in on this device."),
        "checkin_recorded": _("Check-in recorded on this device."),
        "crypto_missing": _(
            "This browser cannot verify Ed25519 signatures. Use an up-to-date Chrome or Edge."
        ),
    }


@bp.get(SCOPE)
@role_required(Role.RANGER, Role.ADMIN)
def app_page():
    return render_template(
        "scan/index.html",
        strings=_strings(),
        max_age_hours=current_app.config["SCAN_PACK_MAX_AGE_HOURS"],
    )


@bp.get("/scan/sw.js")
def service_worker():
    body = render_template(
        "scan/sw.js",
        version=_asset_version(),
        scope=SCOPE,
        assets=[url_for("static", filename=name) for name in _assets()] + [url_for(".manifest")],
    )
    response = Response(body, mimetype="text/javascript")
    response.headers["Service-Worker-Allowed"] = SCOPE
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/scan/manifest.webmanifest")
def manifest():
    document = {
        "name": _("Tanhui ranger scanner"),
        "short_name": _("Scanner"),
        "description": _("Verify certificates and plot plaques at memorial forests, offline."),
        "start_url": SCOPE,
        "scope": SCOPE,
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#1f5f3a",
        "icons": [
            {
                "src": url_for("static", filename=f"scan/icon-{size}.png"),
                "sizes": f"{size}x{size}",
                "type": "image/png",
                "purpose": "any",
            }
            for size in (192, 512)
        ],
    }
    response = jsonify(document)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/scan/api/pack")
@_api_role
def site_pack():
    key, keyring = keys.signing(current_app.config)
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    document = pack.build(
        db.session,
        current_user,
        key=key,
        keyring=keyring,
        base_url=base,
        list_url=base + url_for("api.certificate_status_list"),
        keys_url=base + url_for("public.well_known_keys"),
        max_age_hours=current_app.config["SCAN_PACK_MAX_AGE_HOURS"],
    )
    response = jsonify(document)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/scan/api/session")
@_api_role
def session_token():
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


def _visit_input(item: object) -> visits.VisitInput:
    if not isinstance(item, dict):
        raise DomainError(_("A visit must be an object."))
    try:
        scanned_at = datetime.fromisoformat(str(item.get("scanned_at", "")).replace("Z", "+00:00"))
        offline = ScanResult(item.get("offline_result"))
    except ValueError as exc:
        raise DomainError(_("A visit needs a scan time and the result shown.")) from exc
    plaque = item.get("plaque_text")
    return visits.VisitInput(
        client_id=str(item.get("id", "")),
        site_code=str(item.get("site", "")),
        certificate_text=str(item.get("certificate_text", "")),
        plaque_text=str(plaque) if plaque else None,
        offline_result=offline,
        scanned_at=scanned_at,
    )


def _upload(key: str, parse, record_many, rejected, as_json):
    """An offline upload (visits, check-ins): items that cannot be read are answered
    ``rejected`` one by one, the rest are stored by the service in one transaction."""
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get(key), list):
        abort(400)
    _key, keyring = keys.signing(current_app.config)
    outcomes: list = []
    items: list = []
    for raw in body[key]:
        try:
            items.append(parse(raw))
        except DomainError as exc:
            client_id = str(raw.get("id", "")) if isinstance(raw, dict) else ""
            outcomes.append(rejected(client_id, str(exc)))
    try:
        with committing(db.session):
            outcomes += record_many(
                db.session,
                ranger=current_user,
                device_id=str(body.get("device_id", "")),
                items=items,
                keyring=keyring,
            )
    except DomainError as exc:
        return jsonify(error={"status": 400, "message": str(exc.message)}), 400
    return jsonify(results=[as_json(o) for o in outcomes])


@bp.post("/scan/api/visits")
@_api_role
def upload_visits():
    return _upload(
        "visits",
        _visit_input,
        visits.record_many,
        lambda client_id, message: visits.VisitOutcome(
            client_id=client_id, status="rejected", message=message
        ),
        lambda o: {
            "id": o.client_id,
            "status": o.status,
            "result": o.result,
            "matched": o.matched,
            "plot": o.plot,
            "other_device": o.other_device,
            "message": o.message,
        },
    )


def _checkin_input(item: object) -> checkins.CheckInInput:
    if not isinstance(item, dict):
        raise DomainError(_("A check-in must be an object."))
    try:
        scanned_at = datetime.fromisoformat(str(item.get("scanned_at", "")).replace("Z", "+00:00"))
    except ValueError as exc:
        raise DomainError(_("A check-in needs a scan time.")) from exc
    trees = item.get("trees") or []
    if not isinstance(trees, list) or not all(isinstance(t, dict) for t in trees):
        raise DomainError(_("Trees planted must be a list of plots and numbers."))
    return checkins.CheckInInput(
        client_id=str(item.get("id", "")),
        day_code=str(item.get("day", "")),
        pass_text=str(item.get("pass_text", "")),
        attendees=item.get("attendees") if isinstance(item.get("attendees"), int) else -1,
        scanned_at=scanned_at,
        trees=tuple(
            checkins.TreesInput(
                plot_code=str(t.get("plot", "")),
                trees=t.get("trees") if isinstance(t.get("trees"), int) else 0,
            )
            for t in trees
        ),
    )


@bp.post("/scan/api/checkins")
@_api_role
def upload_checkins():
    """Planting-day check-ins recorded offline (attendance and trees per plot)."""
    return _upload(
        "checkins",
        _checkin_input,
        checkins.record_many,
        lambda client_id, message: checkins.CheckInOutcome(
            client_id=client_id, status="rejected", message=message
        ),
        lambda o: {
            "id": o.client_id,
            "status": o.status,
            "pass": o.pass_id,
            "trees": o.trees,
            "other_device": o.other_device,
            "message": o.message,
        },
    )
