"""Clockify streams: the detailed report (``POST reports.api.clockify.me/v1/workspaces/{ws}/
reports/detailed``, body ``dateRangeStart``/``dateRangeEnd`` and ``detailedFilter.page``/
``pageSize``, entries under ``timeentries``, until a short page). The workspace id is part of
the connection's base URL."""

from datetime import timedelta

from hourbridge.connectors.stream import DirectoryList, PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/reports/detailed", primary_key="_id",
    cursor_field="timeInterval.start", cursor_param="dateRangeStart",
    page_style=PageStyle.BODY_PAGE, records="timeentries", page_size=200, method="POST",
    cursor_format="iso_millis", page_body_key="detailedFilter", range_end_param="dateRangeEnd",
    body_fields=(("exportType", "JSON"),),
    # the report filters by start date, not by change: edits of the last two weeks' entries
    # come again with each pull (older edits with ``sync --full`` or the webhooks)
    lookback=timedelta(days=14),
)


def _listed(name: str) -> Stream:
    # the REST API's workspace lists (``/users``, ``/clients``, ``/projects``), paged with
    # ``page``/``page-size`` until a short page
    return Stream(name=name, path=f"/{name}", primary_key="id", cursor_field="",
                  cursor_param="", page_style=PageStyle.QUERY_PAGE, page_size=200,
                  page_size_param="page-size")


# users (by email), clients and projects (by name, or the ``[CODE]`` a publish gave them);
# tasks are listed per project, so their aliases come from a publish, not from here
DIRECTORY = (DirectoryList("user", _listed("users"), name="email"),
             DirectoryList("customer", _listed("clients"), name="name"),
             DirectoryList("project", _listed("projects"), name="name"))
