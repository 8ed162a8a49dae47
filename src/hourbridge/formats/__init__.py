"""Interchange formats at the edge (pydantic): the master-data bundle and its JSON Schema.

Shared by the CLI, the API and connectors; maps to and from domain dataclasses.

The bundle's names are imported on first use (PEP 562): the package is also the parent of
the time files' reader, and a command that ingests a CSV should not load the bundle's
pydantic models, YAML and identifier checks to read it (issue 16).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .bundle import BundleDocument, bundle_json_schema, parse_bundle_files, to_domain

__all__ = ["BundleDocument", "bundle_json_schema", "parse_bundle_files", "to_domain"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(import_module(".bundle", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
