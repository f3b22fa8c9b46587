from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    MultipleFileField,
    RadioField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.services.plots.photos import MAX_PHOTOS
from webapp.services.plots.rangers import MAX_NOTE
from webapp.web.fields import CountField


class UpdateForm(FlaskForm):
    kind = RadioField(
        _l("What happened"),
        choices=[],
        validators=[InputRequired(message=_l("Please choose what happened to the plot."))],
    )
    survival = CountField(
        _l("Trees alive"),
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("The survival count must be a whole number of trees.")),
        ],
        description=_l("Count of living trees on the plot today (optional)."),
    )
    replanted = CountField(
        _l("Trees replanted"),
        validators=[
            Optional(),
            NumberRange(min=0, message=_l("The number replanted must be a whole number of trees.")),
        ],
        description=_l("Trees planted today in place of dead ones (optional)."),
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
