from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional

from webapp.models import DedicationKind, Privacy
from webapp.models.plots import MAX_DEDICATION_MESSAGE
from webapp.web.fields import InvoiceFields, QuantityField, strip, strip_multiline


class PlotChoices(SelectMultipleField):
    """Plots as a list of checkboxes (works without script, by pointer and keyboard)."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class SponsorForm(InvoiceFields, FlaskForm):
    plots = PlotChoices(_l("Plots"), choices=[], validate_choice=False)
    sponsor_name = StringField(
        _l("Name on the certificate"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please give the sponsor's name.")),
            Length(max=60, message=_l("At most 60 characters.")),
        ],
        description=_l("A person, a family or an organisation."),
    )
    privacy = RadioField(
        _l("On the plot's public page"),
        choices=[],
        default=Privacy.INITIALS.value,
        validators=[InputRequired(message=_l("Please choose how the name is shown."))],
    )
    dedication = SelectField(
        _l("Dedication"), choices=[], default=DedicationKind.MEMORIAL.value, validate_choice=True
    )
    message = TextAreaField(
        _l("Dedication message (optional)"),
        filters=[strip_multiline],
        validators=[
            Optional(),
            Length(
                max=MAX_DEDICATION_MESSAGE,
                message=_l("The dedication message can have at most 120 characters."),
            ),
        ],
        description=_l("Shown on the plot's page and certificate, e.g. “For our daughter Mei”."),
    )
    names = TextAreaField(
        _l("Names, one per plot (optional)"),
        description=_l(
            "Group sponsorship: one name per line; each plot and its certificate carry one "
            "name. Choose as many plots as names, or none and we pick free plots side by side."
        ),
    )
    names_file = FileField(
        _l("…or a CSV file of names"),
        description=_l("One name per line, UTF-8 or GB 18030 (Excel); at most 200 names."),
    )
    method = RadioField(_l("Payment"), choices=[])


class DonateForm(InvoiceFields, FlaskForm):
    """捐资造林: a preset amount or another one, the donor's name and whether it is shown."""

    preset = RadioField(_l("Amount"), choices=[], validators=[InputRequired()])
    amount = QuantityField(
        _l("Another amount (yuan)"),
        unit="yuan",
        validators=[Optional()],
        description=_l("From ¥1 to ¥100,000, e.g. 200 or 88.50."),
    )
    donor_name = StringField(
        _l("Donor's name"),
        filters=[strip],
        validators=[
            InputRequired(message=_l("Please give the donor's name.")),
            Length(max=60, message=_l("At most 60 characters.")),
        ],
        description=_l("A person, a family or an organisation."),
    )
    privacy = RadioField(
        _l("On the site's public page"),
        choices=[],
        default=Privacy.ANONYMOUS.value,
        validators=[InputRequired(message=_l("Please choose how the name is shown."))],
    )
    method = RadioField(_l("Payment"), choices=[])
