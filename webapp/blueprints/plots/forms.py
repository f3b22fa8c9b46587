from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.blueprints.fields import strip
from webapp.services.plots.photos import MAX_PHOTOS
from webapp.services.plots.rangers import MAX_NOTE


class UpdateForm(FlaskForm):
    kind = RadioField(
        _l("What happened"),
        choices=[],
        validators=[InputRequired(message=_l("Please choose what happened to the plot."))],
    )
    survival = IntegerField(
        _l("Trees alive"),
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("The survival count must be a whole number of trees.")),
        ],
        description=_l("Count of living trees on the plot today (optional)."),
    )
    note = TextAreaField(
        _l("Note"),
        validators=[
            Optional(),
            Length(max=MAX_NOTE, message=_l("The note can have at most 1000 characters.")),
        ],
    )
    photos = MultipleFileField(
        _l("Photos"),
        description=_l("Up to 3 photos, JPEG or PNG. Location data is removed."),
        render_kw={"accept": "image/jpeg,image/png"},
    )

    def validate_photos(self, field: MultipleFileField) -> None:
        from wtforms.validators import ValidationError

        chosen = [f for f in (field.data or []) if getattr(f, "filename", "")]
        if len(chosen) > MAX_PHOTOS:
            raise ValidationError(_l("At most 3 photos per update."))


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
        description=_l("e.g. a state forest farm such as 徂徕山林场"),
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
        description=_l("e.g. arborvitae"),
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
