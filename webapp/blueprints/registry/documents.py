"""Public project documents (monitoring reports, verification statements), by SHA-256."""

from __future__ import annotations

import io
import re

from flask import abort, current_app, send_file

from webapp.blueprints.registry import bp
from webapp.extensions import db
from webapp.services import storage
from webapp.services.registry import monitoring

_SHA = re.compile(r"[0-9a-f]{64}")


@bp.get("/registry/documents/<sha256>.pdf")
def document(sha256: str):
    if not _SHA.fullmatch(sha256) or monitoring.find_document(db.session, sha256) is None:
        abort(404)
    store = storage.from_config(current_app.config, "certificates")
    try:
        data = store.get(monitoring.document_key(sha256))
    except (FileNotFoundError, ValueError):
        abort(404)
    response = send_file(io.BytesIO(data), mimetype="application/pdf", max_age=86400, etag=sha256)
    response.headers["Content-Disposition"] = f"inline; filename={sha256[:12]}.pdf"
    return response
