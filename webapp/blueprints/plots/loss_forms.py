"""The loss report form (issue 18): rangers and staff, on a phone."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, MultipleFileField, RadioField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from webapp.services.registry.losses import MAX_NOTE
from webapp.web.fields import QuantityField


class LossForm(FlaskForm):
    project = SelectField(
        _l("Project"),
        choices=[],
        validators=[InputRequired(message=_l("Please choose the project."))],
    )
    cause = RadioField(
        _l("Cause"),
        choices=[],
        validators=[InputRequired(message=_l("Please choose the cause of the loss."))],
    )
    occurred_on = DateField(
        _l("Date of the loss"),
        validators=[InputRequired(message=_l("Please give the date of the loss."))],
    )
    area_ha = QuantityField(
        _l("Area lost (ha)"),
        validators=[InputRequired(message=_l("Please give the area lost in hectares."))],
        description=_l("1 ha = 15 mu."),
    )
    estimated_t = QuantityField(
        _l("Estimated loss (t CO₂e)"),
        validators=[InputRequired(message=_l("Please give the estimated loss in tonnes."))],
    )
    note = TextAreaField(
        _l("Note"),
        validators=[
            Optional(),
            Length(max=MAX_NOTE, message=_l("The note can have at most 2000 characters.")),
        ],
    )
    photos = MultipleFileField(
        _l("Photos"),
        description=_l("Up to 3 photos, JPEG or PNG. Location data is removed."),
        render_kw={"accept": "image/jpeg,image/png"},
    )
