"""Kimai 2.x streams (``src/API/TimesheetController.php``): ``GET /api/timesheets`` pages with
``page``/``size`` and the headers ``X-Page``, ``X-Total-Pages``; ``modified_after`` takes a
local time without an offset (HTML5 local datetime)."""

from hourbridge.connectors.stream import DirectoryList, PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/api/timesheets", primary_key="id", cursor_field="begin",
    cursor_param="modified_after", page_style=PageStyle.PAGE_HEADERS, page_size=100,
    page_size_param="size", cursor_format="local", extra_params=(("full", "true"),),
)


def _listed(name: str, path: str) -> Stream:
    # unpaged lists (``visible`` items only by default)
    return Stream(name=name, path=path, primary_key="id", cursor_field="id", cursor_param="",
                  page_style=PageStyle.UNPAGED, page_size_param="", page_size=0)


# users (by username), projects and activities (by name): aliases are learnt where exactly
# one Hourbridge code equals one of them
DIRECTORY = (DirectoryList("user", _listed("users", "/api/users"), name="username"),
             DirectoryList("project", _listed("projects", "/api/projects"), name="name"),
             DirectoryList("task", _listed("activities", "/api/activities"), name="name"))
