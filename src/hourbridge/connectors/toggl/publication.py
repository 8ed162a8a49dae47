"""Toggl Track v9 master data (engineering.toggl.com/docs: Clients, Projects, Tasks, Project
users; DOC for the paths, field names partly CODE from public typed clients, kept tolerant):
``/api/v9/workspaces/{workspace}/clients`` and ``/projects`` (``active`` archives; the name
is unique in its workspace and client, so ``[CODE] name`` finds an item again), a project's
``/tasks``, and ``/project_users`` (``project_id``, ``user_id``; removed with DELETE). Lists
are unpaged arrays here (INF: a very large workspace may page ``/projects``)."""

from hourbridge.connectors.publication import Field, Publication, Resource, listing

WS = "/api/v9/workspaces/{workspace}"

PUBLICATION = Publication(resources=(
    Resource("client", listing(f"{WS}/clients"), create=("POST", f"{WS}/clients"),
             update=("PUT", f"{WS}/clients/{{id}}"), fields=(Field("name", "name"),),
             alias="customer", compared=("name",)),
    Resource("project", listing(f"{WS}/projects"), create=("POST", f"{WS}/projects"),
             update=("PUT", f"{WS}/projects/{{id}}"),
             fields=(Field("name", "name"), Field("client", "client_id"),
                     Field("billable", "billable")),
             active=("active", True, False), alias="project",
             compared=("name", "client", "billable"), constants=(("is_private", True),)),
    Resource("project_task", listing(f"{WS}/projects/{{project}}/tasks"),
             create=("POST", f"{WS}/projects/{{project}}/tasks"),
             update=("PUT", f"{WS}/projects/{{project}}/tasks/{{id}}"),
             fields=(Field("name", "name"),), active=("active", True, False),
             alias="task", per_project=True, compared=("name",)),
    Resource("member", listing(f"{WS}/project_users"),
             create=("POST", f"{WS}/project_users"), update=None,
             fields=(Field("project", "project_id"), Field("user", "user_id")),
             parent="project_id", id_field="id", compared=(),
             archive=("DELETE", f"{WS}/project_users/{{id}}"),
             remove=("DELETE", f"{WS}/project_users/{{id}}")),
))
