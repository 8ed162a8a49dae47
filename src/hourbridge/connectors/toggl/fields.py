"""Toggl Track v9 time entry fields: ``start`` is UTC, ``duration`` seconds (negative while the
timer runs), ``server_deleted_at`` set on deleted entries, ``at`` the last change. A Reports v3
``search/time_entries`` row groups entries under ``time_entries`` with the row's user and
project."""

from hourbridge.connectors.stream import FieldMap

FIELDS = FieldMap(
    external_id="id", user="user_id", project="project_id", task="task_id",
    notes="description", billable="billable", start="start", stop="stop", seconds="duration",
    running_when_negative=True, running_when_no_stop=False, deleted="server_deleted_at",
    revision="at", group="time_entries",
)
