"""Interchange formats at the edge (pydantic): the master-data bundle and its JSON Schema.

Shared by the CLI, the API and connectors; maps to and from domain dataclasses.
"""

from .bundle import BundleDocument, bundle_json_schema, parse_bundle_files, to_domain

__all__ = ["BundleDocument", "bundle_json_schema", "parse_bundle_files", "to_domain"]
