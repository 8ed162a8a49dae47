"""The REST API: ``create_app(hb)`` (FastAPI), problem+json errors, ``v1`` routers."""
