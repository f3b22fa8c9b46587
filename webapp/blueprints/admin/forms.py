from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    IntegerField,
    SelectChoice,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from webapp.models import Delivery, ProjectType, RiskRating, SinkInstrument
from webapp.models.planting import MAX_DUTY_NOTE
from webapp.services.certificates.issuing import MAX_REASON
from webapp.services.footprint import provinces
from webapp.web.fields import CountField, QuantityField, strip, strip_multiline

_required = InputRequired(message=_l("This field is required."))


class ProjectForm(FlaskForm):
    code = StringField(
        _l("Code"),
        filters=[strip],
        validators=[
            _required,
            Length(max=12),
            Regexp(
                r"^[A-Za-z0-9]+(-[A-Za-z0-9]+)*$",
                message=_l("Use letters, digits and single hyphens, e.g. TA-CLS."),
            ),
        ],
        description=_l("Short code used in serial numbers, e.g. TA-CLS."),
    )
    name_zh = StringField(
        _l("Name (Chinese)"), filters=[strip], validators=[_required, Length(max=120)]
    )
    name_en = StringField(
        _l("Name (English)"), filters=[strip], validators=[_required, Length(max=160)]
    )
    type = SelectField(_l("Project type"), choices=[])
    instrument = SelectField(_l("Instrument"), choices=[])
    province = SelectField(_l("Province"))
    city_zh = StringField(
        _l("City (Chinese)"), filters=[strip], validators=[_required, Length(max=60)]
    )
    city_en = StringField(
        _l("City (English)"), filters=[strip], validators=[_required, Length(max=80)]
    )
    county_zh = StringField(
        _l("County (Chinese)"), filters=[strip], validators=[Optional(), Length(max=60)]
    )
    county_en = StringField(
        _l("County (English)"), filters=[strip], validators=[Optional(), Length(max=80)]
    )
    latitude = QuantityField(
        _l("Latitude"),
        places=6,
        validators=[
            Optional(),
            NumberRange(min=3, max=54, message=_l("Must be between %(min)s and %(max)s.")),
        ],
    )
    longitude = QuantityField(
        _l("Longitude"),
        places=6,
        validators=[
            Optional(),
            NumberRange(min=73, max=136, message=_l("Must be between %(min)s and %(max)s.")),
        ],
    )
    area_mu = QuantityField(
        _l("Area (mu)"),
        unit="mu",
        places=2,
        validators=[
            _required,
            NumberRange(min=0, max=100_000_000, message=_l("Must be between %(min)s and %(max)s.")),
        ],
    )
    developer_zh = StringField(
        _l("Owner or developer (Chinese)"),
        filters=[strip],
        validators=[_required, Length(max=120)],
    )
    developer_en = StringField(
        _l("Owner or developer (English)"),
        filters=[strip],
        validators=[_required, Length(max=160)],
    )
    methodology = StringField(
        _l("Methodology"), filters=[strip], validators=[_required, Length(max=200)]
    )
    crediting_start = DateField(_l("Crediting period starts"), validators=[_required])
    crediting_end = DateField(_l("Crediting period ends"), validators=[Optional()])
    description_zh = TextAreaField(
        _l("Description (Chinese)"),
        filters=[strip_multiline],
        validators=[Optional(), Length(max=4000)],
    )
    description_en = TextAreaField(
        _l("Description (English)"),
        filters=[strip_multiline],
        validators=[Optional(), Length(max=4000)],
    )

    # Buffer pool (issue 18): the share of each delivered issuance withheld.
    risk_rating = SelectField(
        _l("Non-permanence risk (buffer share)"),
        choices=[],
        default=RiskRating.MEDIUM.value,
        description=_l(
            "Share of every delivered issuance withheld in the buffer pool; see the methodology."
        ),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from webapp.labels import label

        self.province.choices = [
            SelectChoice(p.code, f"{p.code} {p.name_zh}") for p in provinces().values()
        ]
        self.type.choices = [SelectChoice(t.value, label(t)) for t in ProjectType]
        self.instrument.choices = [SelectChoice(i.value, label(i)) for i in SinkInstrument]
        self.risk_rating.choices = [SelectChoice(r.value, label(r)) for r in RiskRating]


class IssuanceForm(FlaskForm):
    vintage = IntegerField(
        _l("Vintage (year)"),
        validators=[
            _required,
            NumberRange(min=1990, max=2100, message=_l("Must be between %(min)s and %(max)s.")),
        ],
    )
    period_start = DateField(_l("Monitoring period starts"), validators=[_required])
    period_end = DateField(_l("Monitoring period ends"), validators=[_required])
    quantity_t = QuantityField(
        _l("Quantity (t CO₂)"),
        unit="t",
        places=3,
        validators=[
            _required,
            NumberRange(
                min=0.001, max=10_000_000, message=_l("Must be between %(min)s and %(max)s.")
            ),
        ],
        description=_l("Serial numbers are kilograms: 1 t = 1,000 serials."),
    )
    price_per_tonne = QuantityField(
        _l("Price per tonne (CNY)"),
        unit="yuan",
        places=2,
        validators=[
            _required,
            NumberRange(min=0, max=100_000, message=_l("Must be between %(min)s and %(max)s.")),
        ],
    )
    delivery = SelectField(_l("Delivery"), choices=[])
    expected_from = IntegerField(_l("Expected from (year)"), validators=[Optional()])
    expected_to = IntegerField(_l("Expected until (year)"), validators=[Optional()])
    note = TextAreaField(
        _l("Note (source of the figures)"),
        filters=[strip_multiline],
        validators=[Optional(), Length(max=2000)],
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        from webapp.labels import label

        self.delivery.choices = [SelectChoice(d.value, label(d)) for d in Delivery]


# ---- certificates -------------------------------------------------------------------


class RevokeForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason for revoking"),
        filters=[strip_multiline],
        validators=[
            DataRequired(message=_l("Please give a reason for revoking.")),
            Length(
                max=MAX_REASON,
                message=_l("The reason may be at most %(max)d characters.", max=MAX_REASON),
            ),
        ],
    )


class DutyRevokeForm(FlaskForm):
    """Staff revoke a tree-planting duty certificate; the note is shown where it is checked."""

    note = TextAreaField(
        _l("Why it is revoked (shown to anyone who checks the certificate)"),
        filters=[strip_multiline],
        validators=[
            DataRequired(
                message=_l("Please say why the certificate is revoked (at most 200 characters).")
            ),
            Length(
                max=MAX_DUTY_NOTE,
                message=_l("Please say why the certificate is revoked (at most 200 characters)."),
            ),
        ],
    )


# ---- memorial sites and rangers ---------------------------------------------------


class AssignForm(FlaskForm):
    ranger = SelectField(_l("Ranger"), coerce=int, choices=[])
    site = SelectField(_l("Site"), coerce=int, choices=[])


class SiteForm(FlaskForm):
    code = StringField(
        _l("Site code"),
        filters=[strip],
        validators=[InputRequired(), Length(min=2, max=16)],
        description=_l("Printed on plaques and in QR codes: capital letters, digits and “-”."),
    )
    name_zh = StringField(
        _l("Name (Chinese)"), filters=[strip], validators=[InputRequired(), Length(max=120)]
    )
    name_en = StringField(
        _l("Name (English)"), filters=[strip], validators=[InputRequired(), Length(max=160)]
    )
    operator_zh = StringField(
        _l("Operator (Chinese)"),
        filters=[strip],
        validators=[InputRequired(), Length(max=120)],
        description=_l("e.g. a state forest farm such as Culai Mountain State Forest Farm"),
    )
    operator_en = StringField(
        _l("Operator (English)"), filters=[strip], validators=[InputRequired(), Length(max=160)]
    )
    province = StringField(
        _l("Province code"),
        filters=[strip],
        validators=[InputRequired(), Length(min=4, max=8)],
        description=_l("ISO 3166-2, e.g. CN-SD"),
    )
    county_zh = StringField(
        _l("County (Chinese)"), filters=[strip], validators=[InputRequired(), Length(max=60)]
    )
    county_en = StringField(
        _l("County (English)"), filters=[strip], validators=[InputRequired(), Length(max=80)]
    )
    description_zh = TextAreaField(
        _l("Description (Chinese)"), validators=[Optional(), Length(max=4000)]
    )
    description_en = TextAreaField(
        _l("Description (English)"), validators=[Optional(), Length(max=4000)]
    )
    visiting_zh = TextAreaField(
        _l("Visiting information (Chinese)"), validators=[Optional(), Length(max=4000)]
    )
    visiting_en = TextAreaField(
        _l("Visiting information (English)"), validators=[Optional(), Length(max=4000)]
    )
    planting_seasons_zh = StringField(
        _l("Planting seasons (Chinese)"), filters=[strip], validators=[Optional(), Length(max=120)]
    )
    planting_seasons_en = StringField(
        _l("Planting seasons (English)"), filters=[strip], validators=[Optional(), Length(max=160)]
    )
    boundary = TextAreaField(
        _l("Boundary"),
        validators=[Optional(), Length(max=4000)],
        description=_l(
            "Points in metres on the site's own grid (x east, y north): “0 0; 120 0; 120 80; 0 80”."
        ),
    )


class SpeciesForm(FlaskForm):
    code = StringField(
        _l("Species code"),
        filters=[strip],
        validators=[InputRequired(), Length(max=32)],
        description=_l("e.g. CB-01 (a short code of your choice)"),
    )
    name_zh = StringField(
        _l("Name (Chinese)"), filters=[strip], validators=[InputRequired(), Length(max=40)]
    )
    name_en = StringField(
        _l("Name (English)"), filters=[strip], validators=[InputRequired(), Length(max=80)]
    )
    scientific_name = StringField(
        _l("Scientific name"), filters=[strip], validators=[Optional(), Length(max=120)]
    )
    factor = SelectField(
        _l("Sequestration rate (from the factor set)"), choices=[], validate_choice=True
    )
    projection_years = IntegerField(
        _l("Years the projection covers"),
        default=20,
        validators=[InputRequired(), NumberRange(min=1, max=100)],
    )
    planting_seasons_zh = StringField(
        _l("Planting seasons (Chinese)"), filters=[strip], validators=[Optional(), Length(max=120)]
    )
    planting_seasons_en = StringField(
        _l("Planting seasons (English)"), filters=[strip], validators=[Optional(), Length(max=160)]
    )


class PlotsImportForm(FlaskForm):
    file = FileField(
        _l("Plots (CSV)"),
        validators=[FileRequired(message=_l("Please choose a CSV file."))],
        description=_l(
            "Columns: code, species, price, area_mu, trees, polygon (“x y; x y; …”) "
            "or x, y and size_m."
        ),
    )


class SitePhotoForm(FlaskForm):
    photo = FileField(
        _l("Photo (JPEG or PNG)"), validators=[FileRequired(message=_l("Please choose a photo."))]
    )
    caption_zh = StringField(
        _l("Caption (Chinese)"), filters=[strip], validators=[Optional(), Length(max=120)]
    )
    caption_en = StringField(
        _l("Caption (English)"), filters=[strip], validators=[Optional(), Length(max=160)]
    )


class CapacityForm(FlaskForm):
    capacity = CountField(
        _l("New capacity (people)"),
        unit="people",
        validators=[
            InputRequired(message=_l("Please give a whole number.")),
            NumberRange(min=1, max=2000, message=_l("Between 1 and 2,000.")),
        ],
    )


class CancelDayForm(FlaskForm):
    reason = StringField(_l("Reason"), filters=[strip], validators=[_required, Length(max=200)])


class DeclineProposalForm(FlaskForm):
    reason = TextAreaField(
        _l("Reason (the proposer reads it)"),
        filters=[strip_multiline],
        validators=[
            InputRequired(message=_l("Please tell the proposer why the day is declined.")),
            Length(max=500, message=_l("At most 500 characters.")),
        ],
    )
