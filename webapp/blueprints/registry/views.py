from __future__ import annotations

import io
import json
from collections.abc import Iterator

from flask import Response, abort, current_app, render_template, request, stream_with_context

from webapp.blueprints.registry import bp
from webapp.extensions import db
from webapp.localtime import local_iso
from webapp.services import csv_export, keys
from webapp.services.registry import (
    buffer,
    ledger,
    losses,
    monitoring_public,
    published,
    queries,
    sales_stop,
)
from webapp.services.registry import timeline as project_timeline
from webapp.services.registry.serials import parse_serial_query

PAGE = 50


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    return int(value) if value.isdigit() and len(value) < 19 else None


@bp.get("/projects")
def projects():
    items = queries.public_projects(db.session)
    counters = queries.project_counters(db.session, [p.id for p in items])
    projected = queries.projects_with_projected(db.session)
    return render_template(
        "registry/projects.html",
        projects=items,
        counters=counters,
        total=queries.totals(counters),
        projected=projected,
    )


@bp.get("/projects/<code>")
def project(code: str):
    item = queries.project_by_code(db.session, code)
    if item is None or item.status.value == "draft":
        abort(404)
    counters = queries.project_counters(db.session, [item.id]).get(item.id, queries.Counters())
    return render_template(
        "registry/project.html",
        project=item,
        counters=counters,
        issuances=queries.project_issuances(db.session, item),
        rows=queries.search_retirements(db.session, project=item, limit=10),
        # --- buffer pool and losses (issue 18) ---
        buffer_percent=buffer.percent_for(item),
        stopping_loss=sales_stop.stopping_loss(db.session, item.id),
        losses=losses.public_losses(db.session, item.id),
        timeline=project_timeline.project_timeline(db.session, item),
        # monitoring, verification and delivery (issue 18 parts 1-2)
        monitoring_record=monitoring_public.record(db.session, item),
    )


@bp.get("/registry/retirements")
def retirements():
    q = request.args.get("q", "")[:120]
    code = request.args.get("project", "")
    project = queries.project_by_code(db.session, code) if code else None
    rows = queries.search_retirements(
        db.session, query=q, project=project, before_seq=_int_arg("before"), limit=PAGE + 1
    )
    more = len(rows) > PAGE
    serial = None
    parsed = parse_serial_query(q) if q else None
    if parsed and parsed[0] == parsed[1]:
        serial = queries.serial_info(db.session, parsed[0])
    return render_template(
        "registry/retirements.html",
        rows=rows[:PAGE],
        more=more,
        q=q,
        project=project,
        serial=serial,
        queried_serial=parsed,
    )


def _csv_response(rows: Iterator[list[object]], header: list[str], filename: str) -> Response:
    def generate() -> Iterator[str]:
        buffer = io.StringIO()
        writer = csv_export.writer(buffer)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    response = Response(stream_with_context(generate()), mimetype="text/csv")
    response.headers["Content-Disposition"] = f"attachment; filename={filename}"
    return response


@bp.get("/registry/retirements.csv")
def retirements_csv():
    rows = (
        [
            r.seq,
            local_iso(r.retired_at),  # people open this file: local time, with offset
            r.project_code,
            r.quantity_kg,
            " ".join(r.serials),
            r.beneficiary or "",
            r.purpose,
            r.purpose_detail or "",
            r.delivery,
        ]
        for r in queries.iter_retirements(db.session)
    )
    return _csv_response(
        rows,
        [
            "entry",
            "retired_at",
            "project",
            "quantity_kg",
            "serials",
            "beneficiary",
            "purpose",
            "purpose_detail",
            "delivery",
        ],
        "tanhui-retirements.csv",
    )


@bp.get("/registry/ledger")
def ledger_page():
    after = _int_arg("after")
    entries = ledger.entries_after(db.session, -1 if after is None else after, PAGE)
    head = published.latest(db.session)
    if head is not None:
        sth = ledger.tree_head_dict(head)
    else:
        key, _ = keys.signing(current_app.config)
        sth = ledger.signed_head_now(db.session, key)
    parsed = [(e, json.loads(e.body)) for e in entries]
    return render_template("registry/ledger.html", entries=parsed, sth=sth, after=after, page=PAGE)


@bp.get("/registry/ledger.csv")
def ledger_csv():
    rows = (
        [seq, kind, body, bytes(leaf).hex()] for seq, kind, body, leaf in ledger.stream(db.session)
    )
    return _csv_response(rows, ["seq", "kind", "body", "leaf_hash"], "tanhui-ledger.csv")
