from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from webapp.blueprints.calculator import bp
from webapp.blueprints.calculator.forms import CalculatorForm, EventForm, HouseholdForm
from webapp.extensions import db, limiter
from webapp.i18n import current_lang
from webapp.models import CalculationKind, User
from webapp.services import footprint_records
from webapp.services.footprint import (
    EARTH_RADIUS_KM,
    LONG_HAUL_MIN_KM,
    FootprintInputError,
    airports,
    available_versions,
    latest_version,
    load_factor_set,
    provinces,
)
from webapp.services.footprint.arithmetic import total
from webapp.unit_of_work import committing
from webapp.web import footprint_presenting as present

DEFAULT_CALCULATOR_LIMIT = "30 per minute"


def _calculator_limit() -> str:
    return current_app.config.get("CALCULATOR_RATE_LIMIT", DEFAULT_CALCULATOR_LIMIT)


def _viewer() -> User | None:
    return current_user._get_current_object() if current_user.is_authenticated else None


def _airport_options() -> list[tuple[str, str]]:
    """The datalist of the flight fields, in the reader's language: the code as value and
    "city · airport" as label (typing 杭州 or Hangzhou finds HGH)."""
    lang = current_lang()
    options = [(code, f"{a.city_name(lang)} · {a.name(lang)}") for code, a in airports().items()]
    # Chinese airports first, then the international hubs.
    options.sort(key=lambda o: (airports()[o[0]].country != "CN", o[0]))
    return options


def _calculate(form: CalculatorForm, kind: CalculationKind, template: str):
    """GET shows the form; POST validates with the engine, saves and redirects to the
    result (303), or re-renders with inline errors and HTTP 400, saving nothing."""
    summary: list[dict[str, str]] = []
    if form.is_submitted():
        form_ok = form.validate()  # CSRF and the optional label; quantities: the engine
        payload = form.payload()
        try:
            if form_ok:
                with committing(db.session):
                    calculation = footprint_records.save(
                        db.session,
                        kind=kind,
                        data=payload.data,
                        user=_viewer(),
                        label=form.label.data,
                    )
            else:
                footprint_records.calculate(kind, payload.data)
        except FootprintInputError as exc:
            summary = form.show_errors(exc, payload)
        else:
            if form_ok:
                return redirect(url_for(".result", token=calculation.token), code=303)
        for message in form.label.errors:
            if not any(item["id"] == form.label.id for item in summary):
                summary.append(
                    {"id": form.label.id, "label": str(form.label.label.text), "message": message}
                )
        if not summary:  # e.g. an expired form: say something rather than nothing
            summary.append({"id": "", "label": "", "message": _("Please check what you entered.")})
    status = 400 if form.is_submitted() else 200
    return (
        render_template(template, form=form, summary=summary, airport_options=_airport_options()),
        status,
    )


@bp.route("/household", methods=["GET", "POST"])
@limiter.limit(_calculator_limit, methods=["POST"])
def household():
    return _calculate(HouseholdForm(), CalculationKind.HOUSEHOLD, "calculator/household.html")


@bp.route("/event", methods=["GET", "POST"])
@limiter.limit(_calculator_limit, methods=["POST"])
def event():
    return _calculate(EventForm(), CalculationKind.EVENT, "calculator/event.html")


def _line_view(line: Any, fs: Any) -> dict[str, Any]:
    alt = line.alternative
    return {
        "line": line,
        "category": present.category_label(line.category),
        "activity": present.activity_label(line.activity),
        "description": present.flight_description(line) if line.alternative else "",
        "quantity": present.number_text(line.quantity),
        "unit": present.unit_label(line.unit),
        "factor": present.number_text(line.factor, 8),
        "factor_unit": present.factor_unit_label(line.factor_unit),
        "kg": present.kg_text(line.kg),
        "status": present.verification_label(line.verification),
        # From the factor set, not the stored line: older results stored compiled notes.
        "citation": fs.citation(line.factor_id, line.source),
        "alternative": None
        if alt is None
        else {
            "kg": present.kg_text(alt.kg),
            "factor": present.number_text(alt.factor, 8),
            "factor_id": alt.factor_id,
        },
    }


@bp.get("/r/<token>")
def result(token: str):
    calculation = footprint_records.get_visible(db.session, token, _viewer())
    result = footprint_records.stored_result(calculation)
    fs = load_factor_set(calculation.factor_set)
    inputs = calculation.inputs
    without_rf = total(
        line.alternative.kg - line.kg if line.alternative is not None else Decimal(0)
        for line in result.lines
    )
    basis = sorted({fid for line in result.lines for fid in line.basis})
    context = {
        "calculation": calculation,
        "result": result,
        "inputs": inputs,
        "province": present.province_name(inputs.get("province", "")),
        "chart": present.chart(result),
        "lines": [_line_view(line, fs) for line in result.lines],
        "basis": [fs.get(fid) for fid in basis],
        "has_alternatives": any(line.alternative is not None for line in result.lines),
        "total_without_rf": result.total_kg + without_rf,
        "hints": present.hints(result, inputs, fs),
        "offset_url": present.offset_url(result.total_kg, calculation.token),
        "offset_tonnes": present.offset_tonnes(result.total_kg),
        "share_url": current_app.config["BASE_URL"] + url_for(".result", token=calculation.token),
        "benchmark": result.benchmark,
        "benchmark_factor": fs.get(result.benchmark.factor_id) if result.benchmark else None,
        "present": present,
    }
    response = current_app.make_response(render_template("calculator/result.html", **context))
    # The token is the key to an anonymous result: keep it out of caches and search engines.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.get("/history")
@login_required
def history():
    calculations = footprint_records.list_for_user(db.session, current_user)
    return render_template("calculator/history.html", calculations=calculations, present=present)


def _used_factor_ids(fs: Any) -> set[str]:
    """Factors the calculators use: those with a role, and those they are derived from."""
    used = set(fs.roles.values())
    sources = " ".join(fs.get(fid).source for fid in used)
    return used | {fid for fid in fs.factors if fid in sources}


@bp.get("/methodology")
def methodology():
    version = request.args.get("version") or latest_version()
    if version not in available_versions():
        abort(404)
    fs = load_factor_set(version)
    used = _used_factor_ids(fs)
    province_rows = []
    for code, province in provinces().items():
        role = f"electricity.{code}"
        factor = fs.for_role(role) if role in fs.roles else None
        province_rows.append(
            {
                "code": code,
                "name": present.province_name(code),
                "province": province,
                "factor": factor,
            }
        )
    return render_template(
        "calculator/methodology.html",
        fs=fs,
        groups=present.factor_groups(fs),
        household_formulas=present.formula_rows(fs, present.HOUSEHOLD_FORMULAS),
        event_formulas=present.formula_rows(fs, present.EVENT_FORMULAS),
        long_haul_km=LONG_HAUL_MIN_KM,
        earth_radius_km=EARTH_RADIUS_KM,
        unverified=sorted(
            (f for f in fs.factors.values() if f.verification == "UNVERIFIED"),
            key=lambda f: (f.id not in used, f.id),
        ),
        used_ids=used,
        province_rows=province_rows,
        versions=available_versions(),
        present=present,
    )
