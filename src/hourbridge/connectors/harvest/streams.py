"""Harvest API v2 streams (help.getharvest.com/api-v2): ``GET /v2/time_entries`` pages with
``page``/``per_page`` (at most 2000) and ``links.next`` (followed verbatim until null);
``updated_since`` (ISO 8601 UTC) asks for entries changed since the cursor."""

from hourbridge.connectors.stream import PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/v2/time_entries", primary_key="id",
    cursor_field="updated_at", cursor_param="updated_since", page_style=PageStyle.LINKS_NEXT,
    records="time_entries", page_size=2000, page_size_param="per_page",
)
