"""Registry JSON: projects, ledger entries, serials, tree heads and Merkle proofs."""

from __future__ import annotations

import json
import re

from flask import abort, current_app, jsonify, request, url_for

from webapp.blueprints.api import bp
from webapp.blueprints.api.registry_openapi import SERIAL_PATTERN
from webapp.errors import DomainError, NotFound
from webapp.extensions import db
from webapp.models import SinkProject
from webapp.services import keys
from webapp.services.registry import (
    buffer,
    ledger,
    monitoring_public,
    published,
    queries,
    sales_stop,
)
from webapp.services.registry.serials import format_range, parse_serial_query

MAX_PAGE = 1000


def _int(name: str, default: int | None = None, *, minimum: int = 0) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or len(raw) > 18 or int(raw) < minimum:
        raise DomainError(f"{name} must be a whole number of at least {minimum}.")
    return int(raw)


def _project_dict(p: SinkProject, counters: queries.Counters, projected: bool) -> dict:
    return {
        "code": p.code,
        "name_zh": p.name_zh,
        "name_en": p.name_en,
        "type": p.type.value,
        "instrument": p.instrument.value,
        "status": p.status.value,
        "location": {
            "province": p.province,
            "city_zh": p.city_zh,
            "city_en": p.city_en,
            "county_zh": p.county_zh,
            "county_en": p.county_en,
            "latitude": str(p.latitude) if p.latitude is not None else None,
            "longitude": str(p.longitude) if p.longitude is not None else None,
        },
        "area_mu": str(p.area_mu),
        "developer_zh": p.developer_zh,
        "developer_en": p.developer_en,
        "methodology": p.methodology,
        "crediting_period": [
            p.crediting_start.isoformat(),
            p.crediting_end.isoformat() if p.crediting_end else None,
        ],
        "sells_projected_tonnes": projected,
        "demo": p.is_demo,
        **counters.to_dict(),
        # --- buffer pool and losses (issue 18) ---
        "risk_rating": (p.risk_rating or buffer.DEFAULT_RATING).value,
        "buffer_percent": buffer.percent_for(p),
        "sales_stopped": sales_stop.stopping_loss(db.session, p.id) is not None,
        "url": url_for("registry.project", code=p.code, _external=True),
    }


@bp.get("/projects")
def projects():
    items = queries.public_projects(db.session)
    counters = queries.project_counters(db.session, [p.id for p in items])
    projected = queries.projects_with_projected(db.session)
    return jsonify(
        projects=[
            _project_dict(p, counters.get(p.id, queries.Counters()), p.id in projected)
            for p in items
        ],
        totals=queries.totals(counters).to_dict(),
    )


@bp.get("/projects/<code>")
def project(code: str):
    p = queries.project_by_code(db.session, code)
    if p is None or p.status.value == "draft":
        abort(404)
    counters = queries.project_counters(db.session, [p.id]).get(p.id, queries.Counters())
    data = _project_dict(p, counters, p.id in queries.projects_with_projected(db.session))
    data["issuances"] = [
        {
            "id": i.id,
            "vintage": i.vintage,
            "monitoring_period": [i.period_start.isoformat(), i.period_end.isoformat()],
            "serials": format_range(p.code, i.vintage, i.serial_first, i.serial_last),
            "serial_first": i.serial_first,
            "serial_last": i.serial_last,
            "issued_kg": i.quantity_kg,
            "reserved_kg": i.reserved_kg,
            "retired_kg": i.retired_kg,
            "available_kg": i.available_kg,
            # --- buffer pool and losses (issue 18) ---
            "buffer_held_kg": i.buffer_held_kg,
            "buffer_used_kg": i.buffer_used_kg,
            "cancelled_kg": i.cancelled_kg,
            "price_per_tonne": str(i.price_per_tonne),
            "currency": "CNY",
            "delivery": i.delivery.value,
            "expected_years": [i.expected_from, i.expected_to] if i.expected_from else None,
            "status": i.status.value,
        }
        for i in queries.project_issuances(db.session, p)
    ]
    # --- monitoring, verification and delivery (issue 18 parts 1-2) ---
    record = monitoring_public.record(db.session, p)
    data["monitoring_periods"] = [monitoring_public.period_dict(m) for m in record.periods]
    data["documents"] = [
        {**d, "url": url_for("registry.document", sha256=d["sha256"], _external=True)}
        for d in record.documents()
    ]
    data.update(record.figures.to_dict())
    return jsonify(data)


@bp.get("/registry/retirements")
def retirements():
    q = request.args.get("q", "")[:120]
    limit = min(_int("limit", 50, minimum=1), MAX_PAGE)
    rows = queries.search_retirements(db.session, query=q, before_seq=_int("before"), limit=limit)
    return jsonify(
        retirements=[r.to_dict() for r in rows],
        next_before=rows[-1].seq if len(rows) == limit else None,
    )


@bp.get("/registry/entries")
def entries():
    after = _int("after", -1) if request.args.get("after") != "-1" else -1
    limit = min(_int("limit", 100, minimum=1), MAX_PAGE)
    items = ledger.entries_after(db.session, after, limit)
    return jsonify(
        tree_size=ledger.size(db.session),
        entries=[
            {
                "seq": e.seq,
                "kind": e.kind,
                "body": json.loads(e.body),
                "canonical": e.body,
                "leaf_hash": bytes(e.leaf_hash).hex(),
            }
            for e in items
        ],
        next_after=items[-1].seq if len(items) == limit else None,
    )


@bp.get("/registry/serials/<serial>")
def serial(serial: str):
    # Exactly what the document's pattern allows (the register page is more lenient).
    parsed = parse_serial_query(serial) if re.fullmatch(SERIAL_PATTERN, serial) else None
    if parsed is None or parsed[0] != parsed[1]:
        raise DomainError("Give one serial number, e.g. 1001 or TH-TA-CLS-2024-000001001.")
    info = queries.serial_info(db.session, parsed[0])
    if info is None:
        abort(404)
    return jsonify(
        serial=info.serial,
        project=info.project_code,
        vintage=info.vintage,
        issuance=info.issuance_id,
        delivery=info.delivery,
        state=info.state,
        retirement=info.retirement.to_dict() if info.retirement else None,
    )


@bp.get("/registry/tree-head")
def tree_head():
    """The latest published signed tree head (what proofs are given against)."""
    head = published.latest(db.session)
    if head is None:  # nothing published yet: a head of the (empty) tree, signed now
        key, _ = keys.signing(current_app.config)
        return jsonify(ledger.signed_head_now(db.session, key))
    return jsonify(ledger.tree_head_dict(head))


@bp.get("/registry/proofs/inclusion")
def inclusion_proof():
    size = ledger.size(db.session)
    seq = _int("seq")
    tree_size = _int("tree_size", size, minimum=1)
    if seq is None:
        raise DomainError("Need 0 <= seq < tree_size <= the current ledger size.")
    if tree_size > size or seq >= tree_size:
        # Well-formed, but no such entry in a tree of that size (yet).
        raise NotFound("Need 0 <= seq < tree_size <= the current ledger size.")
    entry = db.session.get(ledger.LedgerEntry, seq)
    return jsonify(
        seq=seq,
        tree_size=tree_size,
        leaf_hash=bytes(entry.leaf_hash).hex(),
        root_hash=ledger.root_at(db.session, tree_size).hex(),
        proof=[h.hex() for h in ledger.inclusion_proof(db.session, seq, tree_size)],
    )


@bp.get("/registry/proofs/consistency")
def consistency_proof():
    size = ledger.size(db.session)
    first = _int("first", minimum=1)
    second = _int("second", size, minimum=1)
    if first is None:
        raise DomainError("Need 1 <= first <= second <= the current ledger size.")
    if not first <= second <= size:
        raise NotFound("Need 1 <= first <= second <= the current ledger size.")
    return jsonify(
        first=first,
        second=second,
        first_root=ledger.root_at(db.session, first).hex(),
        second_root=ledger.root_at(db.session, second).hex(),
        proof=[h.hex() for h in ledger.consistency_proof(db.session, first, second)],
    )
