"""Toggl Track v9 streams (engineering.toggl.com/docs/api/time_entries): ``GET
/api/v9/me/time_entries`` answers one unpaged JSON array; ``since`` (unix seconds) returns
entries changed since then, deleted ones included (``server_deleted_at`` set)."""

from hourbridge.connectors.stream import PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/api/v9/me/time_entries", primary_key="id", cursor_field="at",
    cursor_param="since", page_style=PageStyle.UNPAGED, cursor_format="unix",
    page_size_param="", page_size=0,
)
