"""The JSON bodies: CodeCarbon's API models (same names, same fields) and wattprint's ingest.

CodeCarbon's field names are the contract: a test compares them with the
client's own dataclasses (``codecarbon.core.schemas``). Energies kWh,
emissions kg CO2e, powers W, durations s. Numbers that cannot be negative
or infinite are refused with 422 naming the field.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

NonNegative = Annotated[float, Field(ge=0, allow_inf_nan=False)]
OptNonNegative = Annotated[float | None, Field(ge=0, allow_inf_nan=False)]
Percent = Annotated[float | None, Field(ge=0, le=100, allow_inf_nan=False)]
Uuid = Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{32,36}$")]
Text = Annotated[str, Field(max_length=400)]


class _Model(BaseModel):
    model_config = ConfigDict(from_attributes=True, extra="ignore")


# --- CodeCarbon's models -------------------------------------------------------------


class EmissionCreate(_Model):
    """One upload of CodeCarbon's tracker: the delta since its previous upload."""

    timestamp: datetime
    run_id: Uuid
    duration: int = Field(gt=0)
    emissions_sum: OptNonNegative = None
    emissions_rate: OptNonNegative = None
    cpu_power: OptNonNegative = None
    gpu_power: OptNonNegative = None
    ram_power: OptNonNegative = None
    cpu_energy: OptNonNegative = None
    gpu_energy: OptNonNegative = None
    ram_energy: OptNonNegative = None
    energy_consumed: OptNonNegative = None
    cpu_utilization_percent: Percent = None
    gpu_utilization_percent: Percent = None
    ram_utilization_percent: Percent = None
    wue: OptNonNegative = 0.0


class Emission(EmissionCreate):
    """A stored emission row."""

    id: str


class RunCreate(_Model):
    """The run CodeCarbon's tracker creates at its first upload."""

    timestamp: datetime
    experiment_id: Uuid
    os: Text | None = None
    python_version: Text | None = None
    codecarbon_version: Text | None = None
    cpu_count: int | None = Field(default=None, ge=0)
    cpu_model: Text | None = None
    gpu_count: int | None = Field(default=None, ge=0)
    gpu_model: Text | None = None
    longitude: float | None = Field(default=None, ge=-180, le=180)
    latitude: float | None = Field(default=None, ge=-90, le=90)
    region: Text | None = None
    provider: Text | None = None
    ram_total_size: OptNonNegative = None
    tracking_mode: Text | None = None


class Run(RunCreate):
    """A stored run, as CodeCarbon's API answers it."""

    id: str


class ExperimentCreate(_Model):
    """An experiment (CodeCarbon's fields)."""

    name: Text
    description: str = ""
    timestamp: datetime | None = None
    country_name: Text | None = None
    country_iso_code: str | None = Field(default=None, max_length=3)
    region: Text | None = None
    on_cloud: bool | None = None
    cloud_provider: Text | None = None
    cloud_region: Text | None = None
    project_id: Uuid


class Experiment(ExperimentCreate):
    """A stored experiment."""

    id: str
    timestamp: datetime | None = None


class OrganizationCreate(_Model):
    """An organisation (CodeCarbon's spelling)."""

    name: Text
    description: str = ""


class Organization(OrganizationCreate):
    """A stored organisation."""

    id: str


class ProjectCreate(_Model):
    """A project of an organisation."""

    name: Text
    description: str = ""
    organization_id: Uuid


class ProjectPatch(_Model):
    """Changes to a project."""

    name: Text | None = None
    description: str | None = None
    public: bool | None = None


class Project(_Model):
    """A stored project."""

    id: str
    name: str
    description: str
    organization_id: str
    experiments: list[str] = []
    public: bool | None = None


class ProjectTokenCreate(_Model):
    """A token to make: 1 read, 2 write, 3 read-write; an optional expiry."""

    name: Text | None = None
    access: int = Field(default=2, ge=1, le=3)
    expires_at: datetime | None = None


class ProjectToken(_Model):
    """A project token as listed (the token itself only in the answer that made it)."""

    id: str
    project_id: str
    name: str | None = None
    token: str | None = None
    prefix: str | None = None
    last_used: datetime | None = None
    expires_at: datetime | None = None
    access: int = 2
    revoked: bool = False


class Sums(_Model):
    """CodeCarbon's report fields: sums of energies and emissions, means of powers."""

    emissions: float
    cpu_power: float
    gpu_power: float
    ram_power: float
    cpu_energy: float
    gpu_energy: float
    ram_energy: float
    energy_consumed: float
    duration: float
    emissions_rate: float
    emissions_count: int
    cpu_utilization_percent: float | None = None
    gpu_utilization_percent: float | None = None
    ram_utilization_percent: float | None = None


# --- wattprint's native ingest -------------------------------------------------------


class NativeSample(_Model):
    """One checkpoint's interval: energies and emissions over it (deltas), mean powers."""

    timestamp: datetime
    duration_s: float = Field(gt=0, allow_inf_nan=False)
    energy_kwh: NonNegative
    cpu_energy_kwh: NonNegative = 0.0
    gpu_energy_kwh: NonNegative = 0.0
    ram_energy_kwh: NonNegative = 0.0
    emissions_kg: NonNegative = 0.0
    water_l: NonNegative = 0.0
    intensity_g_per_kwh: OptNonNegative = None


class SeriesPointIn(_Model):
    """Mean power per component at one moment of a run."""

    elapsed_s: NonNegative
    cpu_power_w: NonNegative = 0.0
    gpu_power_w: NonNegative = 0.0
    ram_power_w: NonNegative = 0.0


class RunSummary(_Model):
    """A wattprint run as far as known: its figures so far (cumulative) and where they came from."""

    status: Literal[
        "running", "completed", "interrupted", "crashed", "budget_exceeded"
    ] = "running"
    tool: Text = "wattprint"
    mode: Text | None = None
    ended_at: datetime | None = None
    duration_s: NonNegative = 0.0
    energy_kwh: NonNegative = 0.0
    cpu_energy_kwh: NonNegative = 0.0
    gpu_energy_kwh: NonNegative = 0.0
    ram_energy_kwh: NonNegative = 0.0
    emissions_kg: NonNegative = 0.0
    water_l: NonNegative = 0.0
    embodied_kg: NonNegative = 0.0
    energy_kwh_low: OptNonNegative = None
    energy_kwh_high: OptNonNegative = None
    emissions_kg_low: OptNonNegative = None
    emissions_kg_high: OptNonNegative = None
    intensity_g_per_kwh: OptNonNegative = None
    intensity_source: Text | None = None
    country_iso_code: str | None = Field(default=None, max_length=3)
    region: Text | None = None
    cloud_provider: Text | None = None
    cloud_region: Text | None = None
    run_group: Text | None = None
    rank: int | None = Field(default=None, ge=0)
    hostname: Text | None = None
    os: Text | None = None
    python_version: Text | None = None
    cpu_model: Text | None = None
    cpu_count: int | None = Field(default=None, ge=0)
    gpu_model: Text | None = None
    gpu_count: int | None = Field(default=None, ge=0)
    ram_total_gb: OptNonNegative = None
    methodology: dict[str, Any] | None = None
    tasks: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)
    series: list[SeriesPointIn] = Field(default_factory=list, max_length=100_000)

    @model_validator(mode="after")
    def _ranges_hold_their_figures(self) -> RunSummary:
        """Refuse a range sent half, or one that does not hold its figure."""
        for name in ("energy_kwh", "emissions_kg"):
            value = getattr(self, name)
            low, high = getattr(self, f"{name}_low"), getattr(self, f"{name}_high")
            if (low is None) != (high is None):
                raise ValueError(f"{name}_low and {name}_high: send both bounds or neither")
            slack = 1e-9 * max(abs(value), 1e-12)
            if low is not None and high is not None and not low - slack <= value <= high + slack:
                raise ValueError(
                    f"{name}_low {low!r} .. {name}_high {high!r} does not hold {name} {value!r}: "
                    "a range is low <= value <= high"
                )
        return self


class IngestMessage(_Model):
    """One message of wattprint's server sink or ``wattprint push``.

    ``(run_id, seq)`` names it: a message sent twice is stored once, and an
    older one never overwrites a newer one's figures.
    """

    kind: Literal["start", "checkpoint", "result"]
    run_id: Annotated[str, Field(min_length=1, max_length=100)]
    seq: int = Field(ge=0, le=2**31 - 1)
    project: Text = "default"
    experiment: Text = "default"
    project_id: Uuid | None = None
    started_at: datetime
    run: RunSummary = RunSummary()
    sample: NativeSample | None = None


class IngestAnswer(_Model):
    """What the server did with a message."""

    run_id: str
    seq: int
    stored: bool
