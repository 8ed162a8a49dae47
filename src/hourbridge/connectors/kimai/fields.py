"""Kimai 2.x timesheet fields: ``begin``/``end`` ISO 8601 with an offset (``end`` null while
running), ``duration`` seconds; ``project``/``activity`` are ids, or objects with
``full=true``."""

from hourbridge.connectors.stream import FieldMap

FIELDS = FieldMap(
    external_id="id", user="user|user.id", project="project.id|project",
    task="activity.id|activity", notes="description", billable="billable", start="begin",
    stop="end", seconds="duration", running_when_no_stop=True,
    project_name="project.name", task_name="activity.name",
)
