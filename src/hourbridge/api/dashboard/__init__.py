"""The dashboard under ``/dashboard``: server-rendered pages over the same read models and
use cases as the API (``routes``), inline SVG charts drawn here (``charts``), local assets.

Every page and action hangs off the one ``router``, so authentication attaches in one place
(``router.dependencies``)."""

from __future__ import annotations

from .routes import router

__all__ = ["router"]
