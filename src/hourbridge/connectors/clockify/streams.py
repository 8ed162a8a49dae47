"""Clockify streams: the detailed report (``POST reports.api.clockify.me/v1/workspaces/{ws}/
reports/detailed``, body ``detailedFilter.page``/``pageSize``, entries under ``timeentries``).
The workspace id is part of the connection's base URL."""

from hourbridge.connectors.stream import PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/reports/detailed", primary_key="_id",
    cursor_field="timeInterval.start", cursor_param="dateRangeStart",
    page_style=PageStyle.BODY_PAGE, records="timeentries", page_size=200, method="POST",
)
