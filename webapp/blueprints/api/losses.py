"""Registry JSON of the buffer pool and the loss register (issue 18)."""

from __future__ import annotations

from flask import jsonify

from webapp.blueprints.api import bp
from webapp.extensions import db
from webapp.services.registry import buffer, losses, queries


@bp.get("/registry/buffer")
def registry_buffer():
    rows = buffer.pool(db.session, queries.public_projects(db.session))
    return jsonify(
        projects=[r.to_dict() for r in rows],
        totals={
            "withheld_kg": sum(r.withheld_kg for r in rows),
            "used_kg": sum(r.used_kg for r in rows),
            "held_kg": sum(r.held_kg for r in rows),
        },
    )


@bp.get("/registry/losses")
def registry_losses():
    return jsonify(losses=[losses.public_dict(loss) for loss in losses.public_losses(db.session)])
