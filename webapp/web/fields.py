"""Form pieces every blueprint shares: the one text filter (the text policy,
``services/text_policy``) and the one quantity field (``services/quantities``)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DecimalField, StringField
from wtforms.validators import Length, Optional

from webapp.services import quantities, text_policy


def strip(value: object) -> object:
    """The text filter of every form field: NFC, trimmed, and refused (as a field error)
    when it holds a control, bidirectional or invisible character."""
    if not isinstance(value, str):
        return value
    return text_policy.clean(value)


def strip_multiline(value: object) -> object:
    """:func:`strip` for multi-line text (line breaks and tabs kept)."""
    if not isinstance(value, str):
        return value
    return text_policy.clean(value, multiline=True)


class QuantityField(DecimalField):
    """A DecimalField read by :mod:`webapp.services.quantities`: finite plain decimals only
    (``1e28``, ``NaN``, ``sNaN``, ``Infinity`` are field errors, not values); "3,000",
    full-width digits and the field's ``unit`` after the number ("3 吨") are read as people
    write them (:func:`webapp.services.quantities.normalise_text`)."""

    def __init__(self, *args: Any, unit: str | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit

    def _value(self) -> str:
        # Re-show what was typed when it was refused, not an empty box.
        if self.data is None and self.raw_data:
            return str(self.raw_data[0])
        return super()._value()

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return
        raw = valuelist[0]
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            self.data = None
            return
        try:
            self.data = quantities.to_decimal(raw, unit=self.unit)
        except quantities.InvalidQuantity as exc:
            self.data = None
            raise ValueError(str(exc.message)) from None


class InvoiceFields:
    """The invoice details an organisation gives (发票抬头, 税号): a mixin of the offset,
    sponsorship and organisation forms, so the three ask the same way."""

    invoice_title = StringField(
        _l("Invoice title (发票抬头)"), filters=[strip], validators=[Optional(), Length(max=120)]
    )
    invoice_tax_id = StringField(
        _l("Tax number (税号)"), filters=[strip], validators=[Optional(), Length(max=40)]
    )


class CountField(QuantityField):
    """A whole number typed by a person ("3,000", "３０００", "300 人"), read like
    :class:`QuantityField`; ``data`` is an ``int``."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist:
            return  # not posted (another form on the page was): the default stays
        super().process_formdata(valuelist)
        if self.data is None:
            return
        if quantities.places(self.data) > 0:
            self.data = None
            raise ValueError(str(_l("Enter a whole number.")))
        self.data = int(self.data)
