"""Harvest v2 time entry fields (``tap-harvest`` schema ``time_entries.json``): ``spent_date``
is already the worker's local date; ``hours`` is decimal; ``is_running`` marks a timer."""

from hourbridge.connectors.stream import FieldMap

FIELDS = FieldMap(
    external_id="id", user="user.id", project="project.id", task="task.id", notes="notes",
    billable="billable", date="spent_date", hours="hours", running="is_running",
    running_when_no_stop=False, revision="updated_at", envelopes=("time_entries",),
    user_name="user.name", project_name="project.code|project.name", task_name="task.name",
)
