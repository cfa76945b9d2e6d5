"""Events of daily reports (日志): a report sent, read, commented on, and a template changed.

A report's news goes to the people concerned: its author and its receivers (the people it was
sent to, with the members of the groups it was sent to as they were when it was sent). A
template's change is organization-wide news, on the all-staff group.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import Event, declare

AUTHOR_AND_RECEIVERS = "the report's author and its receivers"


@declare("report", "sent", to="users", addressed_to=AUTHOR_AND_RECEIVERS)
class ReportSent(Event):
    """`{report}`: the report as `GET /api/v1/orgs/{org}/reports/{id}` returns it (without `read_at`)"""

    report: dict[str, Any]


@declare("report", "read", to="users", addressed_to="the report's author and the reader")
class ReportRead(Event):
    """`{report_id, user_id, read_at}`: a receiver opened it (the first time)"""

    report_id: int
    user_id: int
    read_at: int


@declare("report", "commented", to="users", addressed_to=AUTHOR_AND_RECEIVERS)
class ReportCommented(Event):
    """`{report_id, comment}`: a comment (`{id, author_id, body, mention_ids, created_at}`)"""

    report_id: int
    comment: dict[str, Any]


@declare("report_template", "changed", to="conversation", addressed_to="the all-staff group")
class ReportTemplateChanged(Event):
    """`{organization_id, template}`: a template made, changed (a new version) or archived"""

    organization_id: int
    template: dict[str, Any]
