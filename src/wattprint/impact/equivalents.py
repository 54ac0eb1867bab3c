"""Everyday equivalents: a run's emissions or energy told in things people know.

An equivalent divides a run's footprint by what one everyday unit costs:
kilometres driven, hours of television, days of a household's electricity,
smartphone charges, a transatlantic flight, the CO2 trees take up in a year.
Two kinds exist, and they must not be mixed up:

- **emissions-based** factors (kg CO2e per unit) compare the run's
  emissions: value = emissions_kg / per_unit;
- **energy-based** factors (kWh per unit) compare the run's energy:
  value = energy_kwh / per_unit. They hold whatever the grid, because both
  sides would be multiplied by the same intensity.

The car and tree figures count CO2 only, while run emissions are CO2e; the
gap is small for electricity and is the usual simplification of such
comparisons. Every constant below names its publisher, its year and where
it was read; ``SOURCES.md`` next to this file lists them all.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from wattprint.errors import ConfigError
from wattprint.units_format import distance_text, duration_text

Basis = Literal["emissions", "energy"]
"""What a factor compares: the run's emissions (kg CO2e) or its energy (kWh)."""

KM_PER_MILE = 1.609344
"""Kilometres in one international mile (exact, by definition)."""

EEA_NEW_CAR_2020_KG_PER_KM = 0.1075
"""Average CO2 of new passenger cars registered in Europe in 2020: 107.5 g/km.

EEA, "CO2 performance of new passenger cars in Europe" (2020 registrations,
NEDC type-approval values), as transcribed in carbontracker's ``co2eq.csv``
(MIT): /work/shared/data/peer-tool-tables/carbontracker_co2eq_equivalents.csv,
row ``eu_new_car_2020``. A new-car fleet, test-cycle figure: cars on the road
emit more per km, so the km equivalent is generous (an upper bound).
"""

EPA_PASSENGER_VEHICLE_G_PER_MILE = 404.0
"""Tailpipe CO2 of the average US passenger vehicle: 404 g/mile.

US EPA, "Greenhouse Gas Emissions from a Typical Passenger Vehicle"
(EPA-420-F-18-008, 2018): 8,887 g CO2 per gallon of gasoline at 22.0 mpg.
Green Algorithms' referenceValues.csv (CC BY 4.0) carries the same figure as
251 g/km (row ``passengerCar_US_perkm``).
"""

EPA_PASSENGER_VEHICLE_KG_PER_KM = EPA_PASSENGER_VEHICLE_G_PER_MILE / KM_PER_MILE / 1000.0
"""404 g/mile / 1.609344 km/mile = 251.03 g/km = 0.25103 kg CO2 per km."""

TV_50_INCH_KWH_PER_HOUR = 0.12
"""Electricity of a 50-inch 4K LED TV for one hour of viewing: 0.12 kWh (120 W).

IEA (George Kamiya, 2020), "The carbon footprint of streaming video:
fact-checking the headlines" (also published by Carbon Brief), device
figures for 2019. Larger than the average TV in use, so TV hours are
conservative (fewer hours than for a smaller set).
"""

US_HOUSEHOLD_KWH_2020 = 10_715.0
"""Electricity of an average US residential customer in 2020: 10,715 kWh.

US EIA, FAQ "How much electricity does an American home use?" (updated
7 October 2021; from Electric Sales, Revenue and Average Price, table 5.a).
"""

US_HOUSEHOLD_KWH_PER_DAY = US_HOUSEHOLD_KWH_2020 / 366.0
"""10,715 kWh / 366 days (2020 was a leap year) = 29.276 kWh per day."""

EU_HOUSEHOLD_KWH_PER_YEAR = 3_600.0
"""Electricity per dwelling, EU-27 average: 3.6 MWh a year.

ODYSSEE-MURE (EU Horizon project, Enerdata/ADEME), "Electricity consumption
per dwelling", page updated November 2025 (latest year of its database).
"""

EU_HOUSEHOLD_KWH_PER_DAY = EU_HOUSEHOLD_KWH_PER_YEAR / 365.0
"""3,600 kWh / 365 days = 9.863 kWh per day."""

EPA_SMARTPHONE_CHARGE_KWH = 0.019
"""Electricity of one full smartphone charge: 0.019 kWh.

US EPA, Greenhouse Gas Equivalencies Calculator, "Calculations and
References", 2024 revision (earlier revisions used about 0.012 kWh).
"""

FLIGHT_ECONOMY_KG_PER_PASSENGER_KM = 0.171
"""Economy-class flight: 171 g CO2e per passenger-km.

Green Algorithms referenceValues.csv (CC BY 4.0), row
``flight_economy_perkm``, from the UK Government GHG conversion factors
2020 (BEIS); the source gives 139-244 g for the range of flights.
"""

PARIS_NEW_YORK_KM = 5_833.0
"""Great-circle distance Paris CDG (49.0097 N, 2.5479 E) to New York JFK
(40.6413 N, 73.7781 W): 5,833 km by the haversine formula with the mean
Earth radius 6,371.0088 km (IUGG). No routing uplift is added."""

FLIGHT_PARIS_NEW_YORK_KG = PARIS_NEW_YORK_KM * FLIGHT_ECONOMY_KG_PER_PASSENGER_KM
"""5,833 km x 0.171 kg/km = 997.443 kg CO2e per passenger, one way."""

TREE_KG_CO2_PER_YEAR = 11.0
"""CO2 taken up by one tree in a year: 11 kg (11,000 g per tree-year).

Green Algorithms referenceValues.csv (CC BY 4.0), row ``treeYear``, from
Akbari (2002), Environmental Pollution 116, S119-S126 (urban shade trees).
"""


@dataclass(frozen=True, slots=True)
class Factor:
    """What one everyday unit costs, and where that figure comes from.

    Attributes:
        key: a stable identifier, e.g. ``car_km_eu``.
        label: what one unit is, for people, e.g. "km driven ...".
        basis: ``emissions`` (per_unit in kg CO2e) or ``energy`` (in kWh).
        per_unit: kg CO2e per unit for emissions-based factors, kWh per unit
            for energy-based ones; finite and > 0.
        unit: the unit counted, e.g. ``km``.
        source: publisher, document and where the figure was read.
        year: the year the figure describes when the publisher states it,
            otherwise the year of publication (``source`` says which).
    """

    key: str
    label: str
    basis: Basis
    per_unit: float
    unit: str
    source: str
    year: int

    def __post_init__(self) -> None:
        if self.basis not in ("emissions", "energy"):
            raise ConfigError("basis", self.basis, "one of 'emissions', 'energy'")
        if not math.isfinite(self.per_unit) or self.per_unit <= 0:
            raise ConfigError(
                "per_unit", self.per_unit, "a finite number > 0 (kg CO2e or kWh per unit)"
            )


@dataclass(frozen=True, slots=True)
class Equivalent:
    """How many of ``factor``'s units a footprint amounts to (a count, unitless)."""

    factor: Factor
    value: float


FACTORS: tuple[Factor, ...] = (
    Factor(
        key="car_km_eu",
        label="km driven by an average new car in Europe (2020 new-car fleet, test cycle)",
        basis="emissions",
        per_unit=EEA_NEW_CAR_2020_KG_PER_KM,
        unit="km",
        source="EEA, CO2 performance of new passenger cars in Europe (NEDC), via "
        "carbontracker co2eq.csv (MIT); tailpipe CO2",
        year=2020,
    ),
    Factor(
        key="car_km_us",
        label="km driven by the average US passenger vehicle",
        basis="emissions",
        per_unit=EPA_PASSENGER_VEHICLE_KG_PER_KM,
        unit="km",
        source="US EPA, Greenhouse Gas Emissions from a Typical Passenger Vehicle "
        "(EPA-420-F-18-008): 404 g CO2/mile; tailpipe CO2",
        year=2018,
    ),
    Factor(
        key="tv_hours",
        label="hours of a 50-inch LED TV",
        basis="energy",
        per_unit=TV_50_INCH_KWH_PER_HOUR,
        unit="h",
        source="IEA (Kamiya), The carbon footprint of streaming video: fact-checking "
        "the headlines (2020), 2019 device figures",
        year=2019,
    ),
    Factor(
        key="household_days_us",
        label="days of an average US household's electricity",
        basis="energy",
        per_unit=US_HOUSEHOLD_KWH_PER_DAY,
        unit="day",
        source="US EIA, How much electricity does an American home use? "
        "(10,715 kWh in 2020, over 366 days)",
        year=2020,
    ),
    Factor(
        key="household_days_eu",
        label="days of an average EU household's electricity",
        basis="energy",
        per_unit=EU_HOUSEHOLD_KWH_PER_DAY,
        unit="day",
        source="ODYSSEE-MURE, Electricity consumption per dwelling, EU-27 3.6 MWh/year "
        "(page updated November 2025; publication year)",
        year=2025,
    ),
    Factor(
        key="smartphone_charges",
        label="full smartphone charges",
        basis="energy",
        per_unit=EPA_SMARTPHONE_CHARGE_KWH,
        unit="charge",
        source="US EPA, Greenhouse Gas Equivalencies Calculator, Calculations and "
        "References (2024 revision; publication year)",
        year=2024,
    ),
    Factor(
        key="flight_paris_new_york",
        label="one-way economy flights Paris-New York, per passenger",
        basis="emissions",
        per_unit=FLIGHT_PARIS_NEW_YORK_KG,
        unit="flight",
        source="5,833 km great circle CDG-JFK x 171 g CO2e/passenger-km (UK BEIS "
        "conversion factors 2020, via Green Algorithms referenceValues.csv, CC BY 4.0)",
        year=2020,
    ),
    Factor(
        key="tree_years",
        label="trees absorbing CO2 for a year",
        basis="emissions",
        per_unit=TREE_KG_CO2_PER_YEAR,
        unit="tree-year",
        source="Akbari (2002), Environmental Pollution 116: 11 kg CO2 per tree-year, "
        "via Green Algorithms referenceValues.csv (CC BY 4.0)",
        year=2002,
    ),
)
"""The default factors, in the order reports show them."""


def _require_non_negative(key: str, value: float, unit: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise ConfigError(key, value, f"a finite number >= 0 ({unit})")


def equivalents(
    *, emissions_kg: float, energy_kwh: float, factors: tuple[Factor, ...] = FACTORS
) -> tuple[Equivalent, ...]:
    """Return the footprint as a count of each factor's everyday unit.

    value = emissions_kg / per_unit for emissions-based factors, and
    energy_kwh / per_unit for energy-based ones; one ``Equivalent`` per
    factor, in the order of ``factors``.

    Args:
        emissions_kg: the run's emissions, kg CO2e (a total, not a rate).
        energy_kwh: the run's energy, kWh (a total; pass the energy drawn
            from the grid, facility overhead included, if that is what the
            emissions were computed from).
        factors: the factors to use; the shipped ``FACTORS`` by default.

    Example: 0.2 kg CO2e is 0.2 / 11 = 0.01818 tree-years, and 1.2 kWh is
    1.2 / 0.12 = 10 hours of a 50-inch TV.

    Raises:
        ConfigError: if emissions_kg or energy_kwh is negative or not finite.
    """
    _require_non_negative("emissions_kg", emissions_kg, "kg CO2e")
    _require_non_negative("energy_kwh", energy_kwh, "kWh")
    return tuple(
        Equivalent(
            factor=f,
            value=(emissions_kg if f.basis == "emissions" else energy_kwh) / f.per_unit,
        )
        for f in factors
    )


_SECONDS_PER_HOUR = 3600.0
_SECONDS_PER_DAY = 86400.0
_SECONDS_PER_YEAR = 365.25 * _SECONDS_PER_DAY


def _charges(n: float) -> str:
    if n >= 1000:
        return f"{round(n):,} full smartphone charges"
    if n >= 1:
        return f"{n:.3g} full smartphone charges"
    return f"{n * 100:.3g}% of a full smartphone charge"


_SAYINGS: dict[str, Callable[[float], str]] = {
    "car_km_eu": lambda n: f"driving {distance_text(n)} in an average new European car",
    "car_km_us": lambda n: f"driving {distance_text(n)} in an average US passenger car",
    "tv_hours": lambda n: f"watching a 50-inch TV for {duration_text(n * _SECONDS_PER_HOUR)}",
    "household_days_us": lambda n: (
        f"an average US home's electricity for {duration_text(n * _SECONDS_PER_DAY)}"
    ),
    "household_days_eu": lambda n: (
        f"an average EU home's electricity for {duration_text(n * _SECONDS_PER_DAY)}"
    ),
    "smartphone_charges": _charges,
    "flight_paris_new_york": lambda n: (
        f"flying {distance_text(n * PARIS_NEW_YORK_KM)} of a Paris-New York flight "
        "(one economy passenger)"
    ),
    "tree_years": lambda n: (
        f"what a tree takes up in {duration_text(n * _SECONDS_PER_YEAR)}"
    ),
}


def say(equivalent: Equivalent) -> str:
    """Return an equivalent as a person would say it.

    A count of a unit is turned back into the everyday quantity it stands
    for, with a readable unit: 4.79e-05 km driven is ``driving 47.9 mm in an
    average new European car``; 3.9e-04 TV hours is ``watching a 50-inch TV
    for 1.4 s``. A factor without its own wording reads ``<count> <unit> (<label>)``.
    """
    saying = _SAYINGS.get(equivalent.factor.key)
    if saying is not None:
        return saying(equivalent.value)
    return f"{equivalent.value:.3g} {equivalent.factor.unit} ({equivalent.factor.label})"
