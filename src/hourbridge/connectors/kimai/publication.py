"""Kimai 2.x master data (``src/API/CustomerController.php``, ``ProjectController.php``,
``ActivityController.php``; the edit forms' fields CODE from clients generated from its
OpenAPI file): ``/api/customers`` (``country``, ``currency`` and ``timezone`` required),
``/api/projects`` (``customer``) and ``/api/activities`` (``project``), each with ``number``
holding our code and ``visible`` as the archive flag; ``visible=3`` lists hidden ones too.
Lists are unpaged arrays. Who may book on a project: a team per project, its members the
employees assigned (``connectors.teams``)."""

from hourbridge.connectors.publication import Field, Publication, Resource, listing
from hourbridge.connectors.teams import Teams

ALL = (("visible", "3"),)
VISIBLE = ("visible", True, False)

PUBLICATION = Publication(resources=(
    Resource("client", listing("/api/customers", params=ALL),
             create=("POST", "/api/customers"), update=("PATCH", "/api/customers/{id}"),
             fields=(Field("name", "name"), Field("code", "number"),
                     Field("currency", "currency"), Field("country", "country")),
             active=VISIBLE, code="number", alias="customer", compared=("name",),
             constants=(("timezone", "UTC"),)),
    Resource("project", listing("/api/projects", params=ALL),
             create=("POST", "/api/projects"), update=("PATCH", "/api/projects/{id}"),
             fields=(Field("name", "name"), Field("code", "number"),
                     Field("client", "customer", "customer.id|customer"),
                     Field("billable", "billable")),
             active=VISIBLE, code="number", alias="project",
             compared=("name", "code", "client", "billable")),
    Resource("project_task", listing("/api/activities", params=ALL),
             create=("POST", "/api/activities"), update=("PATCH", "/api/activities/{id}"),
             fields=(Field("name", "name"), Field("code", "number"),
                     Field("project", "project", "project.id|project"),
                     Field("billable", "billable")),
             active=VISIBLE, code="number", alias="task", parent="project.id|project",
             compared=("name", "code", "billable")),
    Resource("member", listing("/api/teams"), create=("POST", "/api/teams"), update=None,
             fields=(Field("user", "user"),), compared=(), team=Teams()),
))
