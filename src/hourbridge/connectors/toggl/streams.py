"""Toggl Track v9 streams (engineering.toggl.com/docs/api/time_entries): ``GET
/api/v9/me/time_entries`` answers one unpaged JSON array; ``since`` (unix seconds) returns
entries changed since then, deleted ones included (``server_deleted_at`` set)."""

from hourbridge.connectors.stream import DirectoryList, PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/api/v9/me/time_entries", primary_key="id", cursor_field="at",
    cursor_param="since", page_style=PageStyle.UNPAGED, cursor_format="unix",
    page_size_param="", page_size=0,
)


def _listed(name: str, records: str | None = None) -> Stream:
    # a workspace's lists (``engineering.toggl.com/docs``: workspace users, clients,
    # projects, tasks); unpaged arrays, or an object holding ``data`` (INF: kept tolerant)
    return Stream(name=name, path=f"/api/v9/workspaces/{{workspace}}/{name}", primary_key="id",
                  cursor_field="", cursor_param="", page_style=PageStyle.UNPAGED,
                  records=records, page_size_param="", page_size=0)


# users (by email), clients, projects and tasks (by name, or the ``[CODE]`` a publish gave
# them): aliases are learnt where exactly one Hourbridge code equals one of them
DIRECTORY = (DirectoryList("user", _listed("users"), name="email"),
             DirectoryList("customer", _listed("clients"), name="name"),
             DirectoryList("project", _listed("projects"), name="name"),
             DirectoryList("task", _listed("tasks", "data"), name="name"))
