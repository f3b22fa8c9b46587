"""Field readers for untrusted JSON/form input, collecting one error per field path.

Paths look like ``"electricity_kwh"``, ``"cars[0].km"``, ``"flights[1].from"``; problems
with the document as a whole are reported under :data:`ROOT`.  Messages are Flask-Babel
lazy strings (English msgid, rendered in the request locale; plain English outside an
application context).

Numbers may be JSON numbers or decimal strings as sent by HTML forms ("3600", "12.5").
Accepted string syntax is digits with an optional sign and decimal point, digits grouped
in threes with commas ("3,000"), full-width digits, and the unit the field's name ends with
("3000 kWh" for ``electricity_kwh``, "12 公里" for ``km``) - exponent notation, "nan",
"inf", "", other groupings ("3,00,0") and another unit are rejected.  JSON floats are
converted through their shortest repr (``Decimal(repr(x))``), so 12.5 becomes exactly
``Decimal("12.5")``.  Booleans are never numbers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l

from webapp.services import quantities

ROOT = "_root"
MAX_PLACES = 6  # decimal places accepted in any quantity
ZERO = Decimal(0)


class FootprintInputError(ValueError):
    """Invalid calculator input. ``errors`` maps field paths to (lazy) messages."""

    def __init__(self, errors: Mapping[str, Any]) -> None:
        self.errors: dict[str, Any] = dict(errors)
        super().__init__("; ".join(f"{path}: {message}" for path, message in self.errors.items()))

    def as_text(self) -> dict[str, str]:
        """The errors with messages rendered to ``str`` (current locale, if any)."""
        return {path: str(message) for path, message in self.errors.items()}


class _Invalid(Exception):
    def __init__(self, message: Any) -> None:
        self.message = message


_UNIT_SUFFIXES = {
    "kwh": "kwh",
    "km": "km",
    "kg": "kg",
    "m3": "m3",
    "gj": "gj",
    "people": "people",
    "participants": "people",
    "passengers": "people",
    "meals": "meals",
    "nights": "nights",
}


def unit_of(name: str) -> str | None:
    """The unit a field's name holds ("electricity_kwh_month" -> "kwh", "km" -> "km")."""
    return next((_UNIT_SUFFIXES[w] for w in name.split("_") if w in _UNIT_SUFFIXES), None)


def to_decimal(raw: object, unit: str | None = None) -> Decimal:
    """Untrusted scalar -> finite Decimal, or raise _Invalid with a message
    (:func:`webapp.services.quantities.to_decimal`, the one reader of quantities)."""
    try:
        return quantities.to_decimal(raw, unit=unit)
    except quantities.InvalidQuantity as exc:
        raise _Invalid(exc.message) from None


def _places(value: Decimal) -> int:
    return quantities.places(value)


class Obj:
    """Reads the fields of one JSON object at ``path``; unknown keys are errors."""

    def __init__(
        self, data: object, path: str, errors: dict[str, Any], allowed: Iterable[str]
    ) -> None:
        self.path, self.errors = path, errors
        self.data: Mapping[str, Any] = {}
        self.valid = isinstance(data, Mapping)
        if not isinstance(data, Mapping):
            errors[path or ROOT] = _l("Must be an object with named fields.")
            return
        self.data = data
        allowed = set(allowed)
        for key in data:
            if not isinstance(key, str) or key not in allowed:
                errors[self.key(str(key))] = _l("Unknown field.")

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, message: Any) -> None:
        self.errors.setdefault(self.key(name), message)

    def given(self, name: str) -> bool:
        return self.data.get(name) is not None

    def _absent(self, name: str, required: bool) -> bool:
        if self.given(name):
            return False
        if required and self.valid:
            self.error(name, _l("This field is required."))
        return True

    def decimal(
        self,
        name: str,
        *,
        maximum: Decimal,
        minimum: Decimal = ZERO,
        required: bool = False,
        places: int = MAX_PLACES,
    ) -> Decimal | None:
        if self._absent(name, required):
            return None
        try:
            value = to_decimal(self.data[name], unit_of(name))
        except _Invalid as exc:
            self.error(name, exc.message)
            return None
        if value < 0 and minimum >= 0:
            self.error(name, _l("Must not be negative."))
        elif value < minimum:
            self.error(name, _l("Must be at least %(min)s.", min=minimum))
        elif value > maximum:
            self.error(name, _l("Must be at most %(max)s.", max=maximum))
        elif _places(value) > places:
            self.error(name, _l("Use at most %(places)s decimal places.", places=places))
        else:
            return value
        return None

    def integer(
        self, name: str, *, minimum: int, maximum: int, required: bool = False
    ) -> int | None:
        value = self.decimal(
            name, maximum=Decimal(maximum), minimum=Decimal(minimum), required=required
        )
        if value is None:
            return None
        if value != value.to_integral_value():
            self.error(name, _l("Must be a whole number."))
            return None
        return int(value)

    def boolean(self, name: str, default: bool) -> bool:
        if not self.given(name):
            return default
        raw = self.data[name]
        if isinstance(raw, bool):
            return raw
        if isinstance(raw, str) and raw.strip().lower() in ("true", "false"):
            return raw.strip().lower() == "true"
        self.error(name, _l("Must be true or false."))
        return default

    def choice(
        self,
        name: str,
        choices: Iterable[str],
        *,
        aliases: Mapping[str, str] | None = None,
        required: bool = False,
    ) -> str | None:
        if self._absent(name, required):
            return None
        raw = self.data[name]
        if not isinstance(raw, str):
            self.error(name, _l("Must be text."))
            return None
        text = raw.strip().lower()
        text = (aliases or {}).get(text, text)
        options = tuple(choices)
        if text not in options:
            self.error(name, _l("Must be one of: %(options)s.", options=", ".join(options)))
            return None
        return text

    def text(self, name: str, *, required: bool = False, max_length: int = 64) -> str | None:
        if self._absent(name, required):
            return None
        raw = self.data[name]
        if not isinstance(raw, str) or not raw.strip():
            self.error(name, _l("Must be text."))
            return None
        if len(raw) > max_length:
            self.error(name, _l("Must be at most %(max)s characters.", max=max_length))
            return None
        return raw.strip()

    def obj(self, name: str, allowed: Iterable[str]) -> Obj | None:
        if not self.given(name):
            return None
        return Obj(self.data[name], self.key(name), self.errors, allowed)

    def items(self, name: str, *, max_items: int) -> list[tuple[str, object]]:
        """(path, item) for each element of a list field."""
        if not self.given(name):
            return []
        raw = self.data[name]
        if not isinstance(raw, list | tuple):
            self.error(name, _l("Must be a list."))
            return []
        if len(raw) > max_items:
            self.error(name, _l("At most %(max)s entries are allowed.", max=max_items))
            return []
        return [(f"{self.key(name)}[{i}]", item) for i, item in enumerate(raw)]
