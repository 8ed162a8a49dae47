"""Kimai 2.x streams (``src/API/TimesheetController.php``): ``GET /api/timesheets`` pages with
``page``/``size`` and the headers ``X-Page``, ``X-Total-Pages``; ``modified_after`` takes a
local time without an offset (HTML5 local datetime)."""

from hourbridge.connectors.stream import PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/api/timesheets", primary_key="id", cursor_field="begin",
    cursor_param="modified_after", page_style=PageStyle.PAGE_HEADERS, page_size=100,
    page_size_param="size", cursor_format="local", extra_params=(("full", "true"),),
)
