"""Harvest API v2 streams (help.getharvest.com/api-v2): ``GET /v2/time_entries`` pages with
``page``/``per_page`` (at most 2000) and ``links.next`` (followed verbatim until null);
``updated_since`` (ISO 8601 UTC) asks for entries changed since the cursor."""

from hourbridge.connectors.stream import DirectoryList, PageStyle, Stream

TIME_ENTRIES = Stream(
    name="time_entries", path="/v2/time_entries", primary_key="id",
    cursor_field="updated_at", cursor_param="updated_since", page_style=PageStyle.LINKS_NEXT,
    records="time_entries", page_size=2000, page_size_param="per_page",
)


def _listed(name: str) -> Stream:
    return Stream(name=name, path=f"/v2/{name}", primary_key="id", cursor_field="updated_at",
                  cursor_param="updated_since", page_style=PageStyle.LINKS_NEXT, records=name,
                  page_size=2000, page_size_param="per_page",
                  extra_params=(("is_active", "true"),))


# its users (by email), projects (by code, else name) and tasks (by name): aliases are learnt
# where exactly one Hourbridge code equals one of them
DIRECTORY = (DirectoryList("user", _listed("users"), name="email"),
             DirectoryList("project", _listed("projects"), name="name", code="code"),
             DirectoryList("task", _listed("tasks"), name="name"))
