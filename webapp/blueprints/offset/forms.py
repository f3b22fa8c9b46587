from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from webapp.models import Privacy, Purpose
from webapp.web.fields import InvoiceFields, QuantityField, strip

AUTO = "auto"


class OffsetForm(InvoiceFields, FlaskForm):
    # A project that left the list after the page was shown (sold out, sales stopped by a
    # loss) is answered by the view with the reason, not "not a valid choice".
    project = SelectField(_l("Credits from"), choices=[], validate_choice=False)
    tonnes = QuantityField(
        _l("Quantity (t CO2e)"),
        unit="t",
        places=3,
        validators=[
            InputRequired(message=_l("Please enter how many tonnes to offset.")),
            NumberRange(
                min=Decimal("0.01"),
                max=Decimal("100000"),
                message=_l("Enter between 0.01 and 100,000 tonnes."),
            ),
        ],
        description=_l("Up to three decimals (1 kg). Prefilled from your calculation."),
    )
    beneficiary_name = StringField(
        _l("Name on the certificate"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please give the beneficiary's name.")),
            Length(max=60, message=_l("At most 60 characters.")),
        ],
        description=_l("A person, a family or an organisation."),
    )
    privacy = RadioField(
        _l("In the public register"),
        choices=[],
        default=Privacy.INITIALS.value,
        validators=[InputRequired(message=_l("Please choose how the name is shown."))],
    )
    purpose = SelectField(_l("Purpose"), choices=[], default=Purpose.HOUSEHOLD_YEAR.value)
    purpose_detail = StringField(
        _l("Purpose in your words (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=80, message=_l("At most 80 characters."))],
        description=_l("Shown on the certificate, e.g. “our family's 2026 footprint”."),
    )
    case_number = StringField(
        _l("Case number"),
        filters=[strip],
        validators=[Optional(), Length(max=80)],
        description=_l("Only for judicial restoration (司法修复)."),
    )
    court = StringField(_l("Court"), filters=[strip], validators=[Optional(), Length(max=120)])
    method = RadioField(_l("Payment"), choices=[])
    calculation = HiddenField()
