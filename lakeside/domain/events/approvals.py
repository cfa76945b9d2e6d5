"""Events of approvals (审批): a request changed, a template changed.

A request's news goes to its participants: the applicant, everyone it has reached as an approver
(in any round) and everyone copied. Template news goes to the organization (its all-staff group),
since every member picks templates from the list.
"""

from __future__ import annotations

from typing import Any

from lakeside.domain.events import Event, declare

PARTICIPANTS = "the applicant, the approvers it has reached, those copied"


@declare("approval", "updated", to="users", addressed_to=PARTICIPANTS)
class ApprovalUpdated(Event):
    """`{approval, action}`: the request as `GET …/approvals` lists it (`summary`,
    `current_approvers`, `status`…) after `action` (submit, approve, reject, return, resubmit,
    transfer, add_approver, comment, withdraw, urge, remind); a client showing it refetches the detail"""

    organization_id: int
    approval: dict[str, Any]
    action: str


@declare("approval_template", "updated", to="conversation", addressed_to="the all-staff group")
class ApprovalTemplateUpdated(Event):
    """`{organization_id, template_id, name, enabled, version}`: created, changed, enabled or disabled"""

    organization_id: int
    template_id: int
    name: str
    enabled: bool
    version: int
