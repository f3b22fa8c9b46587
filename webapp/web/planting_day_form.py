"""The planting day's form, shared by staff scheduling a day (admin) and an organisation
proposing one (planting): the same fields, choices and conversion to ``days.DayInput``."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import Session
from wtforms import (
    DateField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
    widgets,
)
from wtforms.validators import InputRequired, Length, NumberRange

from webapp.models import PlotStatus
from webapp.models.base import utcnow
from webapp.services.planting import days
from webapp.services.plots import queries as plot_queries
from webapp.web.fields import CountField, strip, strip_multiline

_required = InputRequired(message=_l("This field is required."))


class PlotBoxes(SelectMultipleField):
    """Plots as checkboxes (no script needed)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PlantingDayForm(FlaskForm):
    site = SelectField(_l("Site"), coerce=int, choices=[])
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Please give the date."))])
    start = TimeField(
        _l("Starts at (local time)"),
        validators=[InputRequired(message=_l("Please give the start time."))],
    )
    end = TimeField(
        _l("Ends at (local time)"),
        validators=[InputRequired(message=_l("Please give the end time."))],
    )
    meeting_point = StringField(
        _l("Meeting point"), filters=[strip], validators=[_required, Length(max=200)]
    )
    plots = PlotBoxes(_l("Plots to plant"), coerce=int, choices=[], validate_choice=False)
    trees_available = CountField(
        _l("Trees available"),
        unit="trees",
        validators=[
            InputRequired(message=_l("Please give a whole number.")),
            NumberRange(min=1, max=100_000, message=_l("Between 1 and 100,000.")),
        ],
    )
    capacity = CountField(
        _l("Capacity (people)"),
        unit="people",
        validators=[
            InputRequired(message=_l("Please give a whole number.")),
            NumberRange(min=1, max=2000, message=_l("Between 1 and 2,000.")),
        ],
    )
    what_to_bring = TextAreaField(
        _l("What to bring"), filters=[strip_multiline], validators=[Length(max=2000)]
    )
    safety_notes = TextAreaField(
        _l("Safety and weather"), filters=[strip_multiline], validators=[Length(max=2000)]
    )


def fill_choices(form: PlantingDayForm, session: Session, lang: str) -> PlantingDayForm:
    """Sites, and the plots that can be planted: sponsored, on no scheduled day to come."""
    sites = plot_queries.public_sites(session)
    form.site.choices = [(s.id, f"{s.code} · {s.text('name', lang)}") for s in sites]
    booked = days.booked_plot_ids(session, utcnow())
    choices = []
    for site in sites:
        for plot in plot_queries.site_plots(session, site):
            if plot.status is PlotStatus.SPONSORED and plot.id not in booked:
                choices.append((plot.id, f"{site.code} / {plot.code}"))
    form.plots.choices = choices
    return form


def day_input(form: PlantingDayForm) -> days.DayInput:
    return days.DayInput(
        day=form.day.data,
        start=form.start.data,
        end=form.end.data,
        meeting_point=form.meeting_point.data or "",
        plot_ids=form.plots.data or [],
        trees_available=form.trees_available.data,
        capacity=form.capacity.data,
        what_to_bring=form.what_to_bring.data or "",
        safety_notes=form.safety_notes.data or "",
    )
