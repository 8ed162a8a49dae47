"""Clockify time entry fields (report rows use ``_id``, the REST API ``id``): ``timeInterval``
holds ``start``, ``end`` (null while running) and ``duration`` (ISO 8601 like ``PT7H30M`` in the
REST API, seconds in reports); ``type`` REGULAR or BREAK (a break is not work)."""

from hourbridge.connectors.stream import FieldMap

FIELDS = FieldMap(
    external_id="id|_id", user="userId", project="projectId", task="taskId",
    notes="description", billable="billable", start="timeInterval.start",
    stop="timeInterval.end", seconds="timeInterval.duration", running_when_no_stop=True,
    envelopes=("timeentries",), entry_type="type", not_work=("BREAK",),
    user_name="userName", project_name="projectName", task_name="taskName",
)
