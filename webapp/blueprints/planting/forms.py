from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.models import Privacy
from webapp.web.fields import QuantityField, strip, strip_multiline
from webapp.web.planting_day_form import PlantingDayForm


class RegisterForm(FlaskForm):
    your_name = StringField(
        _l("Your name"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please give your name.")),
            Length(max=60, message=_l("At most 60 characters.")),
        ],
    )
    adults = TextAreaField(
        _l("Other adults (optional)"),
        filters=[strip_multiline],
        description=_l("One name per line."),
    )
    children = TextAreaField(
        _l("Children (optional)"),
        filters=[strip_multiline],
        description=_l("One name per line. You are their guardian on the day."),
    )
    group_name = StringField(
        _l("Organisation or group (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=120, message=_l("At most 120 characters."))],
        description=_l("For a group of an organisation: its name, then the people below."),
    )
    names_file = FileField(
        _l("…or a CSV file of the group's names"),
        description=_l("One name per line, UTF-8 or GB 18030 (Excel); at most 200 names."),
    )
    privacy = RadioField(
        _l("On the day's public results"),
        choices=[],
        default=Privacy.ANONYMOUS.value,
        validators=[InputRequired(message=_l("Please choose how names may be shown."))],
        description=_l("Children are never named publicly."),
    )


class HoursForm(FlaskForm):
    email = StringField(
        _l("The volunteer's e-mail (their account)"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please give the volunteer's e-mail address.")),
            Length(max=254),
        ],
    )
    site = SelectField(_l("Site"), coerce=int, choices=[])
    day = DateField(_l("Date"), validators=[InputRequired(message=_l("Please give the date."))])
    hours = QuantityField(
        _l("Hours"),
        places=1,
        unit="hours",
        validators=[
            InputRequired(message=_l("Hours must be a number such as 2 or 3.5.")),
            NumberRange(min=0.1, max=12, message=_l("Between 0.1 and 12 hours.")),
        ],
    )
    note = StringField(
        _l("What they did (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=_l("At most 200 characters."))],
    )


class ProposalForm(PlantingDayForm):
    """An organisation's proposed day: the staff form's fields and a note to staff."""

    note = TextAreaField(
        _l("Note to staff"),
        filters=[strip_multiline],
        validators=[
            InputRequired(
                message=_l("Please tell staff who you are and why you propose this day.")
            ),
            Length(max=500, message=_l("At most 500 characters.")),
        ],
        description=_l("Who you are, who will come, and why this day (staff read it)."),
    )
