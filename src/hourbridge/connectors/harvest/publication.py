"""Harvest v2 master data (help.getharvest.com/api-v2: Clients, Projects, Tasks, Project Task
Assignments, Project User Assignments; DOC for the paths and field names, request shapes
CODE from public clients): clients, projects (``code`` holds ours; ``bill_by``/``budget_by``
are required on create), the account's one task list, each project's task assignments
(``task_id``) and user assignments (``user_id``; one no longer assigned is deleted with
``DELETE /v2/projects/{project_id}/user_assignments/{id}``); ``is_active`` archives. Lists page with
``links.next``; ids are numbers."""

from hourbridge.connectors.publication import Field, Publication, Resource, listing
from hourbridge.connectors.stream import PageStyle

ACTIVE = ("is_active", True, False)

PUBLICATION = Publication(resources=(
    Resource("client", listing("/v2/clients", "clients", style=PageStyle.LINKS_NEXT,
                               size=2000, size_param="per_page"),
             create=("POST", "/v2/clients"), update=("PATCH", "/v2/clients/{id}"),
             fields=(Field("name", "name"), Field("currency", "currency")),
             active=ACTIVE, alias="customer", compared=("name",)),
    Resource("project", listing("/v2/projects", "projects", style=PageStyle.LINKS_NEXT,
                                size=2000, size_param="per_page"),
             create=("POST", "/v2/projects"), update=("PATCH", "/v2/projects/{id}"),
             fields=(Field("name", "name"), Field("code", "code"),
                     Field("client", "client_id", "client.id"),
                     Field("billable", "is_billable")),
             active=ACTIVE, code="code", alias="project",
             compared=("name", "code", "client", "billable"),
             constants=(("bill_by", "Tasks"), ("budget_by", "none"))),
    Resource("task", listing("/v2/tasks", "tasks", style=PageStyle.LINKS_NEXT, size=2000,
                             size_param="per_page"),
             create=("POST", "/v2/tasks"), update=("PATCH", "/v2/tasks/{id}"),
             fields=(Field("name", "name"), Field("billable", "billable_by_default")),
             active=ACTIVE, alias="task", compared=("name", "billable")),
    Resource("project_task", listing("/v2/projects/{project}/task_assignments",
                                     "task_assignments", style=PageStyle.LINKS_NEXT,
                                     size=2000, size_param="per_page"),
             create=("POST", "/v2/projects/{project}/task_assignments"),
             update=("PATCH", "/v2/projects/{project}/task_assignments/{id}"),
             fields=(Field("task", "task_id", "task.id"), Field("billable", "billable")),
             active=ACTIVE, per_project=True, compared=("task", "billable")),
    Resource("member", listing("/v2/projects/{project}/user_assignments",
                               "user_assignments", style=PageStyle.LINKS_NEXT, size=2000,
                               size_param="per_page"),
             create=("POST", "/v2/projects/{project}/user_assignments"),
             update=("PATCH", "/v2/projects/{project}/user_assignments/{id}"),
             fields=(Field("user", "user_id", "user.id"),), active=ACTIVE,
             per_project=True, compared=(),
             remove=("DELETE", "/v2/projects/{project}/user_assignments/{id}")),
))
