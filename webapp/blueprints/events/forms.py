from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import AnyOf, Email, InputRequired, Length, NumberRange, Optional

from webapp.models import TravelMode
from webapp.web.fields import CountField, InvoiceFields, strip, strip_multiline


class OrganisationInvoiceFields(InvoiceFields):
    invoice_address = StringField(
        _l("Address for invoices"), filters=[strip], validators=[Optional(), Length(max=200)]
    )


class OrganisationForm(OrganisationInvoiceFields, FlaskForm):
    name = StringField(
        _l("Organisation name"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please give the organisation's name.")),
            Length(max=120, message=_l("At most 120 characters.")),
        ],
    )
    kind = SelectField(_l("Kind of organisation"), choices=[])


class InvoiceForm(OrganisationInvoiceFields, FlaskForm):
    pass


class MemberForm(FlaskForm):
    email = EmailField(
        _l("E-mail address of the new member"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please enter an e-mail address.")),
            Email(message=_l("Please enter a valid e-mail address.")),
        ],
    )
    role = SelectField(_l("Role"), choices=[])


class EventForm(FlaskForm):
    name = StringField(
        _l("Event name"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please give the event's name.")),
            Length(max=120, message=_l("At most 120 characters.")),
        ],
    )
    kind = SelectField(_l("Type of event"), choices=[])
    starts_on = DateField(
        _l("First day"), validators=[InputRequired(message=_l("Please give the first day."))]
    )
    ends_on = DateField(
        _l("Last day"), validators=[InputRequired(message=_l("Please give the last day."))]
    )
    venue = StringField(
        _l("Venue"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please give the venue.")), Length(max=120)],
    )
    city = StringField(
        _l("City"),
        filters=[strip],
        validators=[InputRequired(message=_l("Please give the city.")), Length(max=60)],
        description=_l(
            "In Chinese or English, e.g. 济南 or Jinan; the survey measures distances from it."
        ),
    )
    province = SelectField(_l("Province"), choices=[])
    expected_attendees = CountField(
        _l("Expected attendees"),
        unit="people",
        validators=[
            InputRequired(message=_l("Please give the expected number of attendees.")),
            NumberRange(min=1, max=1_000_000, message=_l("Between 1 and 1,000,000.")),
        ],
    )


class CalculationChoiceForm(FlaskForm):
    calculation = SelectField(_l("Saved event calculation"), choices=[])


class TrueUpForm(CalculationChoiceForm):
    use_survey = BooleanField(
        _l("Add the attendee survey's travel to the participant-travel lines")
    )


class EventOffsetForm(FlaskForm):
    method = RadioField(_l("Payment"), choices=[])


class SurplusRefundForm(FlaskForm):
    # The kilograms the confirmation page showed: if the surplus changed meanwhile, the
    # service refuses rather than refund something the owner did not see.
    expected_kg = IntegerField(
        _l("Kilograms to return"),
        validators=[
            InputRequired(_l("The refund to confirm is missing.")),
            NumberRange(min=1, message=_l("The refund to confirm is missing.")),
        ],
    )


class SurveyForm(FlaskForm):
    mode = RadioField(
        _l("How did you travel to the event?"),
        choices=[],
        validate_choice=False,  # AnyOf answers with our own message
        validators=[
            InputRequired(message=_l("Please choose how you travelled.")),
            AnyOf([m.value for m in TravelMode], message=_l("Please choose how you travelled.")),
        ],
    )
    ticket = StringField(
        _l("Ticket code"),
        filters=[strip],
        validators=[Optional(), Length(max=24, message=_l("At most 24 characters."))],
        description=_l("Printed on your ticket or badge, e.g. ABCDE-FGHJK."),
    )
    origin = StringField(
        _l("From which city?"),
        filters=[strip],
        validators=[Optional(), Length(max=60, message=_l("At most 60 characters."))],
        description=_l("e.g. 北京 or Chengdu. Or give the distance below."),
        render_kw={"list": "city-list"},
    )
    one_way_km = StringField(
        _l("Or: one-way distance (km)"),
        filters=[strip],
        validators=[Optional(), Length(max=12, message=_l("At most 12 characters."))],
    )
    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=[strip_multiline],
        validators=[Optional(), Length(max=200, message=_l("At most 200 characters."))],
    )
