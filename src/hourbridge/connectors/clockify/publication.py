"""Clockify master data (docs.clockify.me REST API v1, relative to
``api.clockify.me/api/v1/workspaces/{ws}``; DOC-3P/CODE for the shapes, kept tolerant):
``/clients``, ``/projects`` (``archived`` archives), a project's ``/tasks`` (``status``
ACTIVE or DONE) and its members, set as a whole with ``PATCH .../memberships``
(``{"memberships": [{"userId": ...}]}``) and read from the project's ``memberships``. Lists
page with ``page``/``page-size`` until a short page; ids are strings."""

from hourbridge.connectors.publication import Field, Publication, Resource, listing
from hourbridge.connectors.stream import PageStyle

PUBLICATION = Publication(numeric_ids=False, resources=(
    Resource("client", listing("/clients", style=PageStyle.QUERY_PAGE, size=200,
                               size_param="page-size"),
             create=("POST", "/clients"), update=("PUT", "/clients/{id}"),
             fields=(Field("name", "name"),), active=("archived", False, True),
             alias="customer", compared=("name",)),
    Resource("project", listing("/projects", style=PageStyle.QUERY_PAGE, size=200,
                                size_param="page-size"),
             create=("POST", "/projects"), update=("PUT", "/projects/{id}"),
             fields=(Field("name", "name"), Field("client", "clientId"),
                     Field("billable", "billable")),
             active=("archived", False, True), alias="project",
             compared=("name", "client", "billable"), constants=(("isPublic", False),)),
    Resource("project_task", listing("/projects/{project}/tasks",
                                     style=PageStyle.QUERY_PAGE, size=200,
                                     size_param="page-size"),
             create=("POST", "/projects/{project}/tasks"),
             update=("PUT", "/projects/{project}/tasks/{id}"),
             fields=(Field("name", "name"),),
             active=("status", "ACTIVE", "DONE"), alias="task", per_project=True,
             compared=("name",)),
    Resource("member", listing("/projects/{project}", "memberships"), create=("PATCH", ""),
             update=None, fields=(Field("user", "userId"),), per_project=True,
             id_field="userId", compared=(),
             member_set=("PATCH", "/projects/{project}/memberships", "memberships",
                         "userId")),
))
