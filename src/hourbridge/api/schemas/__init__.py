"""Request and response models of the REST API (pydantic v2): one module per router of
``api/v1/`` (same name), and ``common`` for the types they share.

Money, rates, tax rates and hours are decimal strings in JSON, never floats; durations are
whole seconds. Master-data records use the bundle format's models, so what you GET is what you
POST. Requests refuse unknown fields.
"""
