"""Forms for monitoring periods (计量监测) and their verification (核证)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import DateField, SelectField, StringField
from wtforms.validators import InputRequired, Length

from webapp.web.fields import QuantityField, strip

_required = InputRequired(message=_l("This field is required."))


class MonitoringPeriodForm(FlaskForm):
    period_start = DateField(_l("Monitoring period starts"), validators=[_required])
    period_end = DateField(_l("Monitoring period ends"), validators=[_required])
    method = StringField(
        _l("Monitoring method"),
        filters=[strip],
        validators=[_required, Length(max=200)],
        description=_l("For example: sample plots measured under the methodology in use."),
    )
    area_ha = QuantityField(_l("Monitored area (ha)"), places=2, validators=[_required])
    report = FileField(
        _l("Monitoring report (PDF)"),
        validators=[FileRequired(message=_l("Please choose a PDF file."))],
    )


class VerificationForm(FlaskForm):
    period = SelectField(_l("Monitoring period"), choices=[], validate_choice=False)
    verifier = StringField(_l("Verifier"), filters=[strip], validators=[_required, Length(max=160)])
    verified_t = QuantityField(
        _l("Verified tonnes (t CO₂e)"),
        places=3,
        validators=[_required],
        description=_l("Serial numbers are kilograms: 1 t = 1,000 serials."),
    )
    price_per_tonne = QuantityField(
        _l("Price per tonne of what remains for sale (CNY)"), places=2, validators=[_required]
    )
    statement = FileField(
        _l("Verification statement (PDF)"),
        validators=[FileRequired(message=_l("Please choose a PDF file."))],
    )
