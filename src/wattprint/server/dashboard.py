"""The dashboard: server-rendered pages (Jinja2), no JavaScript build step."""

from __future__ import annotations

from fastapi import FastAPI


def install(app: FastAPI) -> None:
    """Add the dashboard's pages to ``app``."""
