"""Serving a re-encoded photo from the photo store (plot, site and loss photos)."""

from __future__ import annotations

import io

from flask import abort, current_app, send_file

from webapp.services import storage
from webapp.services.plots import photos


def send_stored_photo(path: str, sha256: str):
    """A re-encoded photo (plot or site) from the photo store; 404 if it is missing."""
    store = storage.from_config(current_app.config, "photos")
    if isinstance(store, storage.LocalStore):
        source = photos.path_for(store.directory, path)
    else:
        try:
            source = io.BytesIO(store.get(path))
        except (FileNotFoundError, ValueError):
            source = None
    if source is None:
        abort(404)
    response = send_file(source, mimetype="image/jpeg", max_age=86400, etag=sha256)
    response.headers["Content-Disposition"] = "inline"
    return response
