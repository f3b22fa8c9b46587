from __future__ import annotations

from flask import jsonify

from webapp.blueprints.api import bp


@bp.get("/")
def index():
    return jsonify(name="Tanhui 碳汇 API", version="v1")
