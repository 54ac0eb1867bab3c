"""The server's tables: organisation -> project -> experiment -> run -> samples.

Ids are UUID strings (CodeCarbon's clients send and expect UUIDs). Energies are
kWh, emissions kg CO2e, powers W, durations s, water L. A sample is one
interval of a run (a CodeCarbon emission row, or a wattprint checkpoint's
delta); a run's totals are kept on the run row, so pages aggregate runs
rather than samples. The tables are created by the Alembic migrations in
``migrations/``, never by ``create_all``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def new_id() -> str:
    """Return a new random id (a UUID4 string)."""
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    """Base of the server's tables."""


_ID = String(36)
_TS = DateTime(timezone=True)


class Organisation(Base):
    """A team: owns projects; people are its members."""

    __tablename__ = "organisations"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(_TS)


NO_PASSWORD = "!none"  # password_hash of an account that signs in only through OIDC


class User(Base):
    """A person: a local account, or one made by an OIDC sign-in (``password_hash`` ``!none``)."""

    __tablename__ = "users"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(_TS)


class OidcIdentity(Base):
    """A person's account at an OpenID Connect provider: (issuer, ``sub``) names one user."""

    __tablename__ = "oidc_identities"
    issuer: Mapped[str] = mapped_column(String(500), primary_key=True)
    subject: Mapped[str] = mapped_column(String(255), primary_key=True)
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(320))  # as the provider last sent it
    created_at: Mapped[datetime] = mapped_column(_TS)
    last_signed_in_at: Mapped[datetime] = mapped_column(_TS)


class Membership(Base):
    """A person's role in an organisation: owner, member or viewer."""

    __tablename__ = "memberships"
    user_id: Mapped[str] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16))


class Project(Base):
    """A project of an organisation."""

    __tablename__ = "projects"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    organisation_id: Mapped[str] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(_TS)


class ProjectToken(Base):
    """A project's API token: only its SHA-256 is kept, with a short prefix to recognise it."""

    __tablename__ = "project_tokens"
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200), default="")
    prefix: Mapped[str] = mapped_column(String(16))
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    access: Mapped[int] = mapped_column(Integer)  # 1 read, 2 write, 3 read-write (CodeCarbon's)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    expires_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    last_used: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    created_at: Mapped[datetime] = mapped_column(_TS)


class Experiment(Base):
    """An experiment of a project, with where it runs (CodeCarbon's fields)."""

    __tablename__ = "experiments"
    __table_args__ = (UniqueConstraint("project_id", "name", name="uq_experiment_name"),)
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    project_id: Mapped[str] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    timestamp: Mapped[datetime] = mapped_column(_TS)
    country_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country_iso_code: Mapped[str | None] = mapped_column(String(3), nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    on_cloud: Mapped[bool] = mapped_column(Boolean, default=False)
    cloud_provider: Mapped[str | None] = mapped_column(String(50), nullable=True)
    cloud_region: Mapped[str | None] = mapped_column(String(100), nullable=True)


class Run(Base):
    """One run: its host, method, place, status and totals so far."""

    __tablename__ = "runs"
    __table_args__ = (
        Index("ix_runs_experiment_time", "experiment_id", "timestamp"),
        Index("ix_runs_project_time", "project_id", "timestamp"),
    )
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    experiment_id: Mapped[str] = mapped_column(ForeignKey("experiments.id", ondelete="CASCADE"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    source: Mapped[str] = mapped_column(String(16))  # wattprint or codecarbon
    timestamp: Mapped[datetime] = mapped_column(_TS)  # when it started
    ended_at: Mapped[datetime | None] = mapped_column(_TS, nullable=True)
    last_seen_at: Mapped[datetime] = mapped_column(_TS)
    status: Mapped[str] = mapped_column(String(16), default="running")
    os: Mapped[str | None] = mapped_column(String(200), nullable=True)
    python_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    codecarbon_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    wattprint_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    hostname: Mapped[str | None] = mapped_column(String(200), nullable=True)
    cpu_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cpu_model: Mapped[str | None] = mapped_column(String(200), nullable=True)
    gpu_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    gpu_model: Mapped[str | None] = mapped_column(String(400), nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    region: Mapped[str | None] = mapped_column(String(100), nullable=True)
    provider: Mapped[str | None] = mapped_column(String(100), nullable=True)
    country_iso_code: Mapped[str | None] = mapped_column(String(3), nullable=True)
    ram_total_size: Mapped[float | None] = mapped_column(Float, nullable=True)  # GB
    tracking_mode: Mapped[str | None] = mapped_column(String(16), nullable=True)
    run_group: Mapped[str | None] = mapped_column(String(200), nullable=True)
    rank: Mapped[int | None] = mapped_column(Integer, nullable=True)
    intensity_source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    intensity_g_per_kwh: Mapped[float | None] = mapped_column(Float, nullable=True)
    methodology: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    tasks: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    duration_s: Mapped[float] = mapped_column(Float, default=0.0)
    energy_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    cpu_energy_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    gpu_energy_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    ram_energy_kwh: Mapped[float] = mapped_column(Float, default=0.0)
    emissions_kg: Mapped[float] = mapped_column(Float, default=0.0)
    water_l: Mapped[float] = mapped_column(Float, default=0.0)
    embodied_kg: Mapped[float] = mapped_column(Float, default=0.0)
    # The bounds the client sent (None when it sent none: CodeCarbon's, older records).
    energy_kwh_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    energy_kwh_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    emissions_kg_low: Mapped[float | None] = mapped_column(Float, nullable=True)
    emissions_kg_high: Mapped[float | None] = mapped_column(Float, nullable=True)
    samples_count: Mapped[int] = mapped_column(Integer, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, default=-1)


class Sample(Base):
    """One interval of a run: energies and emissions over it, mean powers.

    ``seq`` orders a wattprint run's checkpoints and makes a resent one
    harmless (one row per run and seq); CodeCarbon's rows have none.
    """

    __tablename__ = "samples"
    __table_args__ = (
        UniqueConstraint("run_id", "seq", name="uq_sample_seq"),
        Index("ix_samples_run_time", "run_id", "timestamp"),
    )
    id: Mapped[str] = mapped_column(_ID, primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    timestamp: Mapped[datetime] = mapped_column(_TS)
    received_at: Mapped[datetime] = mapped_column(_TS)
    duration_s: Mapped[float] = mapped_column(Float)
    energy_kwh: Mapped[float] = mapped_column(Float)
    cpu_energy_kwh: Mapped[float] = mapped_column(Float)
    gpu_energy_kwh: Mapped[float] = mapped_column(Float)
    ram_energy_kwh: Mapped[float] = mapped_column(Float)
    emissions_kg: Mapped[float] = mapped_column(Float)
    emissions_rate: Mapped[float] = mapped_column(Float)
    cpu_power_w: Mapped[float] = mapped_column(Float)
    gpu_power_w: Mapped[float] = mapped_column(Float)
    ram_power_w: Mapped[float] = mapped_column(Float)
    cpu_utilization_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    gpu_utilization_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    ram_utilization_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    wue: Mapped[float] = mapped_column(Float, default=0.0)
    water_l: Mapped[float] = mapped_column(Float, default=0.0)
    intensity_g_per_kwh: Mapped[float | None] = mapped_column(Float, nullable=True)


class ServerSecret(Base):
    """Secrets all workers share (the session-signing key), made at the first start."""

    __tablename__ = "server_secrets"
    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    value: Mapped[str] = mapped_column(String(200))
