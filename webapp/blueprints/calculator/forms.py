"""Calculator forms (plain HTML, no JavaScript needed).

The forms do not validate quantities themselves: they turn what was typed into the JSON
shape of the API and let the footprint engine validate it, so the pages and the API give
the same answers.  ``payload()`` returns that dict together with a map from every engine
error path (``cars[0].km``) to the form field that shows it; ``show_errors()`` puts the
engine's localised messages beside the fields.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    RadioField,
    SelectField,
    StringField,
)
from wtforms.utils import unset_value
from wtforms.validators import Length

from webapp.services import quantities
from webapp.services.footprint import FootprintInputError, provinces
from webapp.services.footprint_records import LABEL_MAX
from webapp.web.footprint_presenting import DIET_NAMES, DIET_ORDER, province_name

try:
    from wtforms import SelectChoice
except ImportError:  # pragma: no cover - WTForms < 3.3 takes (value, label) tuples
    SelectChoice = None

CAR_ROWS = 3
FLIGHT_ROWS = 4
VEHICLE_ROWS = 3
TRAVEL_ROWS = 5


def clean(value: object) -> object:
    """Trim and fold full-width characters ("３６００" -> "3600")."""
    if isinstance(value, str):
        return unicodedata.normalize("NFKC", value).strip()
    return value


def _number(
    label: Any, description: Any = None, inputmode: str = "decimal", required: bool = False
) -> StringField:
    render_kw: dict[str, Any] = {"inputmode": inputmode, "autocomplete": "off"}
    if required:
        render_kw["required"] = True
    return StringField(label, filters=[clean], description=description, render_kw=render_kw)


_AIRPORT = {
    "list": "airport-list",
    "maxlength": 40,
    "autocapitalize": "words",
    "autocomplete": "off",
    "spellcheck": "false",
}


def options(*pairs: tuple[str, Any]) -> list[Any]:
    """Select/radio choices; SelectChoice where WTForms has it (3.3+), else tuples."""
    if SelectChoice is None:  # pragma: no cover - WTForms < 3.3
        return list(pairs)
    return [SelectChoice(value, label) for value, label in pairs]


def province_choices() -> list[Any]:
    return options(
        ("", _("Choose a province")), *((code, province_name(code)) for code in provinces())
    )


def _fuel_choices() -> list[Any]:
    return options(
        ("", "—"),
        ("petrol", _l("Petrol")),
        ("diesel", _l("Diesel")),
        ("hybrid", _l("Hybrid")),
        ("electric", _l("Electric")),
    )


class FixedRows(FieldList):
    """A fixed number of optional rows named ``<name>-0`` … ``<name>-(n-1)``.

    Unlike FieldList it never renumbers or repeats rows when a request leaves some out,
    so row 2 of the page is always entry 2."""

    def __init__(self, unbound_field: Any, rows: int, **kwargs: Any) -> None:
        super().__init__(unbound_field, min_entries=rows, max_entries=rows, **kwargs)

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        self.last_index = -1
        self.entries = []
        self.object_data = data
        for index in range(self.min_entries):
            self._add_entry(formdata, unset_value, index=index)


@dataclass
class Payload:
    """The API-shaped input built from a form, and where each engine path is shown."""

    data: dict[str, Any] = field(default_factory=dict)
    fields: dict[str, Field] = field(default_factory=dict)
    overrides: dict[str, Any] = field(default_factory=dict)  # path -> form-specific message
    rows: dict[str, Any] = field(default_factory=dict)  # path prefix -> row title

    def put(self, target: dict[str, Any], key: str, path: str, f: Field) -> None:
        value = f.data
        self.fields[path] = f
        if value not in (None, ""):
            target[key] = value


class CarRow(Form):
    fuel = SelectField(_l("Fuel"), choices=_fuel_choices(), validate_choice=False)
    km = _number(_l("Kilometres per year"))


class FlightRow(Form):
    origin = StringField(_l("From (city or airport)"), filters=[clean], render_kw=_AIRPORT)
    destination = StringField(_l("To (city or airport)"), filters=[clean], render_kw=_AIRPORT)
    distance_km = _number(_l("or one-way km"))
    return_trip = BooleanField(_l("Return trip"), default=True)
    cabin = SelectField(
        _l("Cabin"),
        choices=options(
            ("average", _l("Average")),
            ("economy", _l("Economy")),
            ("business", _l("Business")),
        ),
        default="average",
        validate_choice=False,
    )
    passengers = _number(_l("Travellers"), inputmode="numeric")


class VehicleRow(Form):
    fuel = SelectField(_l("Fuel"), choices=_fuel_choices(), validate_choice=False)
    km = _number(_l("Kilometres"))


class TravelRow(Form):
    mode = SelectField(
        _l("Mode"),
        choices=options(
            ("", "—"),
            ("flight", _l("Flight")),
            ("high_speed_rail", _l("High-speed rail")),
            ("rail", _l("Conventional rail")),
            ("coach", _l("Coach")),
            ("car", _l("Car")),
            ("taxi", _l("Taxi")),
            ("metro_bus", _l("Metro or bus")),
        ),
        validate_choice=False,
    )
    people = _number(_l("People"), inputmode="numeric")
    one_way_km = _number(_l("One-way distance (km)"))


def _put_vehicle_rows(
    p: Payload, d: dict[str, Any], key: str, rows: FieldList, label: Callable[[int], str]
) -> None:
    """Rows of (fuel, km) — a household's cars, an event's official vehicles — into
    ``d[key]``; empty rows are skipped, each kept row named for the error summary."""
    kept: list[dict[str, Any]] = []
    for row_index, entry in enumerate(rows):
        row = entry.form
        if not (row.km.data or row.fuel.data):
            continue
        path = f"{key}[{len(kept)}]"
        vehicle: dict[str, Any] = {}
        p.put(vehicle, "fuel", f"{path}.fuel", row.fuel)
        p.put(vehicle, "km", f"{path}.km", row.km)
        p.fields[f"{path}.*"] = row.km
        p.rows[path] = label(row_index + 1)
        kept.append(vehicle)
    if kept:
        d[key] = kept


class CalculatorForm(FlaskForm):
    """Shared behaviour: the engine's errors shown beside the fields."""

    label = StringField(
        _l("Name this calculation (optional)"),
        validators=[Length(max=LABEL_MAX, message=_l("At most %(max)d characters."))],
        filters=[clean],
    )

    def payload(self) -> Payload:  # pragma: no cover - defined by subclasses
        raise NotImplementedError

    def show_errors(self, exc: FootprintInputError, payload: Payload) -> list[dict[str, str]]:
        """Attach each engine error to its field; returns the error summary
        (``id``, ``label``, ``message``) in page order."""
        summary = []
        for path, message in exc.errors.items():
            text = str(payload.overrides.get(path, message))
            target = payload.fields.get(path)
            if target is None:
                # a whole row ("flights[1]") or the document: show it on the row's first field
                target = payload.fields.get(f"{path}.*")
            if target is None:
                self.form_errors.append(text)
                summary.append({"id": "", "label": "", "message": text})
                continue
            target.errors = [*target.errors, text]
            prefix = path.split(".")[0] if "[" in path else ""
            row = payload.rows.get(prefix)
            label = str(target.label.text)
            if row:
                label = _("%(row)s – %(field)s", row=row, field=label)
            summary.append({"id": target.id, "label": label, "message": text})
        order = {f.id: i for i, f in enumerate(_walk(self))}
        summary.sort(key=lambda item: order.get(item["id"], -1))
        return summary


def _walk(form: Form):
    for f in form:
        if isinstance(f, FieldList):
            for entry in f:
                yield from _walk(entry.form) if isinstance(entry, FormField) else [entry]
        elif isinstance(f, FormField):
            yield from _walk(f.form)
        else:
            yield f


class HouseholdForm(CalculatorForm):
    province = SelectField(_l("Province"), validate_choice=False, render_kw={"required": True})
    household_size = _number(
        _l("People in the household"),
        _l("Results are shown for the household and per person."),
        inputmode="numeric",
        required=True,
    )
    electricity = _number(_l("Electricity (kWh)"), _l("From your electricity bill or app."))
    electricity_period = RadioField(
        _l("Per"),
        choices=options(("year", _l("year")), ("month", _l("month"))),
        default="year",
        validate_choice=False,
    )
    natural_gas_m3 = _number(_l("Natural gas (m³ per year)"))
    lpg_kg = _number(_l("Bottled LPG (kg per year)"))
    heat_gj = _number(_l("District heating (GJ per year)"))
    heated_area_m2 = _number(
        _l("or heated floor area (m²)"),
        _l("If you do not know the GJ: we assume 0.4 GJ per m² per year (unverified)."),
    )
    cars = FixedRows(FormField(CarRow), CAR_ROWS)
    taxi_km = _number(_l("Taxi (km per year)"))
    bus_km = _number(_l("Bus (km per year)"))
    metro_km = _number(_l("Metro (km per year)"))
    rail_km = _number(_l("Conventional rail (km per year)"))
    high_speed_rail_km = _number(_l("High-speed rail (km per year)"))
    flights = FixedRows(FormField(FlightRow), FLIGHT_ROWS)
    diet = RadioField(
        _l("Diet"),
        choices=options(*((key, DIET_NAMES[key]) for key in DIET_ORDER), ("none", _l("Leave out"))),
        default="medium_meat",
        validate_choice=False,
    )
    waste_kg = _number(_l("Residual waste (kg per year)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.province.choices = province_choices()

    def payload(self) -> Payload:
        p = Payload()
        d = p.data
        p.put(d, "province", "province", self.province)
        if self.province.data:
            p.overrides["province"] = _l("Choose a province from the list.")
        p.put(d, "household_size", "household_size", self.household_size)
        key = (
            "electricity_kwh_month"
            if self.electricity_period.data == "month"
            else "electricity_kwh"
        )
        p.put(d, key, key, self.electricity)
        for name in (
            "natural_gas_m3",
            "lpg_kg",
            "heat_gj",
            "heated_area_m2",
            "taxi_km",
            "waste_kg",
        ):
            p.put(d, name, name, self[name])
        if self.heat_gj.data and self.heated_area_m2.data:
            p.overrides["heated_area_m2"] = _l(
                "Give either the heat in GJ or the heated floor area, not both."
            )
        transit: dict[str, Any] = {}
        for name in ("bus_km", "metro_km", "rail_km", "high_speed_rail_km"):
            p.put(transit, name, f"transit.{name}", self[name])
        if transit:
            d["transit"] = transit
        _put_vehicle_rows(p, d, "cars", self.cars, lambda n: _("Car %(n)s", n=n))
        flights = []
        for row_index, entry in enumerate(self.flights):
            row = entry.form
            if not (row.origin.data or row.destination.data or row.distance_km.data):
                continue
            path = f"flights[{len(flights)}]"
            flight: dict[str, Any] = {}
            if row.origin.data:
                row.origin.data = row.origin.data.upper()
            if row.destination.data:
                row.destination.data = row.destination.data.upper()
            p.put(flight, "from", f"{path}.from", row.origin)
            p.put(flight, "to", f"{path}.to", row.destination)
            p.put(flight, "distance_km", f"{path}.distance_km", row.distance_km)
            p.put(flight, "cabin", f"{path}.cabin", row.cabin)
            p.put(flight, "passengers", f"{path}.passengers", row.passengers)
            flight["return"] = bool(row.return_trip.data)
            p.fields[f"{path}.return"] = row.return_trip
            p.fields[f"{path}.*"] = row.origin
            p.overrides[path] = _l("Give both airports, or a distance.")
            if (row.origin.data or row.destination.data) and row.distance_km.data:
                p.overrides[f"{path}.distance_km"] = _l(
                    "Give either airports or a distance, not both."
                )
            p.rows[path] = _("Flight %(n)s", n=row_index + 1)
            flights.append(flight)
        if flights:
            d["flights"] = flights
        if self.diet.data and self.diet.data != "none":
            p.put(d, "diet", "diet", self.diet)
        return p


def share_from_percent(text: str) -> Decimal | None:
    """ "25" (%) -> Decimal("0.25"); None if it is not a number from 0 to 100."""
    value = quantities.optional(text, minimum=0, maximum=100)
    return None if value is None else value.scaleb(-2)


class EventForm(CalculatorForm):
    province = SelectField(_l("Province"), validate_choice=False, render_kw={"required": True})
    participants = _number(
        _l("Participants"),
        _l("Everyone attending, staff included; used for the per-person figure."),
        inputmode="numeric",
        required=True,
    )
    days = _number(_l("Days"), inputmode="numeric")
    electricity_kwh = _number(_l("Venue electricity (kWh)"))
    heat_gj = _number(_l("Venue heat (GJ)"))
    natural_gas_m3 = _number(_l("Natural gas burned at the venue (m³)"))
    diesel_l = _number(_l("Diesel for generators (litres)"))
    vehicles = FixedRows(FormField(VehicleRow), VEHICLE_ROWS)
    travel = FixedRows(FormField(TravelRow), TRAVEL_ROWS)
    round_trip = BooleanField(_l("Count a return journey for everyone"), default=True)
    room_nights = _number(_l("Hotel room-nights"), inputmode="numeric")
    meals = _number(_l("Meals served"), inputmode="numeric")
    vegetarian_percent = _number(_l("Vegetarian meals (%)"))
    paper_kg = _number(_l("Paper (kg)"))
    printed_kg = _number(_l("Other printed materials (kg)"))
    waste_kg = _number(_l("Waste to landfill (kg)"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.province.choices = province_choices()

    def payload(self) -> Payload:
        p = Payload()
        d = p.data
        p.put(d, "province", "province", self.province)
        if self.province.data:
            p.overrides["province"] = _l("Choose a province from the list.")
        p.put(d, "participants", "participants", self.participants)
        p.put(d, "days", "days", self.days)
        for group, names in (
            ("venue", (("electricity_kwh", "electricity_kwh"), ("heat_gj", "heat_gj"))),
            ("venue_fuel", (("natural_gas_m3", "natural_gas_m3"), ("diesel_l", "diesel_l"))),
            ("materials", (("paper_kg", "paper_kg"), ("printed_kg", "printed_kg"))),
        ):
            values: dict[str, Any] = {}
            for key, name in names:
                p.put(values, key, f"{group}.{key}", self[name])
            if values:
                d[group] = values
        _put_vehicle_rows(
            p, d, "official_vehicles", self.vehicles, lambda n: _("Vehicle %(n)s", n=n)
        )
        travel = []
        for row_index, entry in enumerate(self.travel):
            row = entry.form
            if not (row.mode.data or row.people.data or row.one_way_km.data):
                continue
            path = f"travel[{len(travel)}]"
            item: dict[str, Any] = {}
            p.put(item, "mode", f"{path}.mode", row.mode)
            p.put(item, "people", f"{path}.people", row.people)
            p.put(item, "one_way_km", f"{path}.one_way_km", row.one_way_km)
            p.fields[f"{path}.*"] = row.mode
            p.rows[path] = _("Travel %(n)s", n=row_index + 1)
            travel.append(item)
        if travel:
            d["travel"] = travel
        d["round_trip"] = bool(self.round_trip.data)
        p.fields["round_trip"] = self.round_trip
        p.put(d, "room_nights", "room_nights", self.room_nights)
        p.put(d, "meals", "meals", self.meals)
        p.fields["vegetarian_share"] = self.vegetarian_percent
        if self.vegetarian_percent.data:
            share = share_from_percent(self.vegetarian_percent.data)
            if share is None:
                d["vegetarian_share"] = "invalid"
                p.overrides["vegetarian_share"] = _l("Enter a percentage from 0 to 100.")
            else:
                d["vegetarian_share"] = str(share)
                p.overrides["vegetarian_share"] = _l(
                    "Enter a percentage from 0 to 100 with at most 4 decimal places."
                )
        p.put(d, "waste_kg", "waste_kg", self.waste_kg)
        return p
