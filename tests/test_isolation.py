"""Isolation: no organization sees another's data. Every endpoint under /api/v1/orgs/{org_id}/ —
the list comes from the app's OpenAPI document, so a new endpoint without a case here fails
this test — is called by a member of another organization, by an ex-member and by a deactivated
member, and must answer 404 or 403 with an error body and nothing else; afterwards the
organization's data is unchanged."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI

from tests.campaign_support import spec
from tests.conftest import Person
from tests.test_directory import department, seat
from tests.test_organizations import company, create_org, invite_code

# A valid request body per operation, so that what answers is the access check, not validation.
CASES: dict[tuple[str, str], dict[str, Any] | None] = {
    ("get", "/api/v1/orgs/{org_id}"): None,
    ("patch", "/api/v1/orgs/{org_id}"): {"name": "taken over"},
    ("put", "/api/v1/orgs/{org_id}/members/{user_id}/role"): {"role": "admin"},
    ("post", "/api/v1/orgs/{org_id}/transfer"): {"user_id": 1},
    ("post", "/api/v1/orgs/{org_id}/leave"): None,
    ("delete", "/api/v1/orgs/{org_id}/members/{user_id}"): None,
    ("post", "/api/v1/orgs/{org_id}/members/{user_id}/deactivate"): None,
    ("post", "/api/v1/orgs/{org_id}/members/{user_id}/reactivate"): None,
    ("post", "/api/v1/orgs/{org_id}/invitations"): {"kind": "code"},
    ("get", "/api/v1/orgs/{org_id}/invitations"): None,
    ("delete", "/api/v1/orgs/{org_id}/invitations/{invitation_id}"): None,
    ("post", "/api/v1/orgs/{org_id}/contact-invitations"): {"email": "someone@example.com"},
    ("get", "/api/v1/orgs/{org_id}/contact-invitations"): None,
    ("delete", "/api/v1/orgs/{org_id}/contact-invitations/{invitation_id}"): None,
    ("get", "/api/v1/orgs/{org_id}/join-requests"): None,
    ("post", "/api/v1/orgs/{org_id}/join-requests/{request_id}/approve"): None,
    ("post", "/api/v1/orgs/{org_id}/join-requests/{request_id}/reject"): None,
    ("get", "/api/v1/orgs/{org_id}/departments"): None,
    ("post", "/api/v1/orgs/{org_id}/departments"): {"name": "渗透部"},
    ("patch", "/api/v1/orgs/{org_id}/departments/{department_id}"): {"name": "renamed"},
    ("delete", "/api/v1/orgs/{org_id}/departments/{department_id}"): None,
    ("get", "/api/v1/orgs/{org_id}/departments/{department_id}/members"): None,
    ("put", "/api/v1/orgs/{org_id}/departments/{department_id}/members/{user_id}"): {"is_leader": True},
    ("delete", "/api/v1/orgs/{org_id}/departments/{department_id}/members/{user_id}"): None,
    ("get", "/api/v1/orgs/{org_id}/members"): None,
    ("get", "/api/v1/orgs/{org_id}/members/{user_id}"): None,
    ("patch", "/api/v1/orgs/{org_id}/members/{user_id}"): {"hide_phone": True},
    ("put", "/api/v1/orgs/{org_id}/members/{user_id}/departments"): {"department_ids": []},
    ("get", "/api/v1/orgs/{org_id}/contacts"): None,
    ("post", "/api/v1/orgs/{org_id}/contacts"): {"name": "间谍"},
    ("get", "/api/v1/orgs/{org_id}/contacts/{contact_id}"): None,
    ("patch", "/api/v1/orgs/{org_id}/contacts/{contact_id}"): {"note": "mine now"},
    ("delete", "/api/v1/orgs/{org_id}/contacts/{contact_id}"): None,
    ("post", "/api/v1/orgs/{org_id}/dings"): {"recipient_ids": [1], "body": "hi"},
    ("get", "/api/v1/orgs/{org_id}/dings/pending"): None,
    ("get", "/api/v1/orgs/{org_id}/dings/sent"): None,
    ("get", "/api/v1/orgs/{org_id}/dings/received"): None,
    ("get", "/api/v1/orgs/{org_id}/dings/{ding_id}"): None,
    ("post", "/api/v1/orgs/{org_id}/dings/{ding_id}/confirm"): None,
    ("post", "/api/v1/orgs/{org_id}/dings/{ding_id}/reding"): None,
    ("delete", "/api/v1/orgs/{org_id}/dings/{ding_id}"): None,
    ("get", "/api/v1/orgs/{org_id}/dings/{ding_id}/attempts"): None,
    ("get", "/api/v1/orgs/{org_id}/ding-policy"): None,
    ("put", "/api/v1/orgs/{org_id}/ding-policy"): {"app_after_minutes": 5},
    ("post", "/api/v1/orgs/{org_id}/announcements"): {"title": "x", "body": "y"},
    ("get", "/api/v1/orgs/{org_id}/announcements"): None,
    ("get", "/api/v1/orgs/{org_id}/announcements/{announcement_id}"): None,
    ("post", "/api/v1/orgs/{org_id}/announcements/{announcement_id}/read"): None,
    ("get", "/api/v1/orgs/{org_id}/announcements/{announcement_id}/readers"): None,
    ("patch", "/api/v1/orgs/{org_id}/announcements/{announcement_id}"): {"pinned": True},
    ("delete", "/api/v1/orgs/{org_id}/announcements/{announcement_id}"): None,
    # Approvals (审批), their roles, and daily reports (日志).
    ("get", "/api/v1/orgs/{org_id}/approval-templates"): None,
    ("post", "/api/v1/orgs/{org_id}/approval-templates"): {
        "name": "渗透",
        "form": {"fields": [{"key": "t", "type": "text", "label": "x"}]},
        "flow": {"steps": [{"name": "a", "approvers": [{"kind": "leader", "level": 1}]}]},
    },
    ("get", "/api/v1/orgs/{org_id}/approval-templates/{template_id}"): None,
    ("patch", "/api/v1/orgs/{org_id}/approval-templates/{template_id}"): {"enabled": False},
    ("post", "/api/v1/orgs/{org_id}/approval-templates/{template_id}/preview"): {"values": {}},
    ("post", "/api/v1/orgs/{org_id}/approvals"): {"template_id": 1, "values": {}},
    ("get", "/api/v1/orgs/{org_id}/approvals"): None,
    ("get", "/api/v1/orgs/{org_id}/approvals/export.csv"): None,
    ("get", "/api/v1/orgs/{org_id}/approvals/stats"): None,
    ("get", "/api/v1/orgs/{org_id}/approvals/{approval_id}"): None,
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/read"): None,
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/approve"): {},
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/reject"): {"reason": "不行"},
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/return"): {},
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/resubmit"): {"values": {}},
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/transfer"): {"user_id": 1},
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/add-approver"): {
        "user_ids": [1],
        "position": "after",
    },
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/comment"): {"body": "x"},
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/withdraw"): {},
    ("post", "/api/v1/orgs/{org_id}/approvals/{approval_id}/urge"): {},
    ("get", "/api/v1/orgs/{org_id}/roles"): None,
    ("post", "/api/v1/orgs/{org_id}/roles"): {"name": "渗透组", "user_ids": []},
    ("patch", "/api/v1/orgs/{org_id}/roles/{role_id}"): {"name": "taken"},
    ("put", "/api/v1/orgs/{org_id}/roles/{role_id}/members"): {"user_ids": []},
    ("delete", "/api/v1/orgs/{org_id}/roles/{role_id}"): None,
    ("get", "/api/v1/orgs/{org_id}/report-templates"): None,
    ("post", "/api/v1/orgs/{org_id}/report-templates"): {
        "name": "渗透",
        "fields": [{"label": "x", "type": "text"}],
    },
    ("get", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}"): None,
    ("patch", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}"): {"name": "taken"},
    ("get", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}/reminder"): None,
    ("put", "/api/v1/orgs/{org_id}/report-templates/{report_template_id}/reminder"): {
        "enabled": False,
        "hour": 18,
    },
    ("post", "/api/v1/orgs/{org_id}/reports"): {"template_id": 1, "answers": {}, "user_ids": [1]},
    ("get", "/api/v1/orgs/{org_id}/reports"): None,
    ("get", "/api/v1/orgs/{org_id}/reports/team"): None,
    ("post", "/api/v1/orgs/{org_id}/reports/team/remind"): {"template_id": 1},
    ("get", "/api/v1/orgs/{org_id}/reports/{report_id}"): None,
    ("patch", "/api/v1/orgs/{org_id}/reports/{report_id}"): {"answers": {}},
    ("delete", "/api/v1/orgs/{org_id}/reports/{report_id}"): None,
    ("post", "/api/v1/orgs/{org_id}/reports/{report_id}/send"): None,
    ("post", "/api/v1/orgs/{org_id}/reports/{report_id}/read"): None,
    ("get", "/api/v1/orgs/{org_id}/reports/{report_id}/readers"): None,
    ("get", "/api/v1/orgs/{org_id}/reports/{report_id}/comments"): None,
    ("post", "/api/v1/orgs/{org_id}/reports/{report_id}/comments"): {"body": "x"},
    ("post", "/api/v1/orgs/{org_id}/todos"): {"title": "x"},
    ("get", "/api/v1/orgs/{org_id}/todos"): None,
    ("get", "/api/v1/orgs/{org_id}/todos/summary"): None,
    ("get", "/api/v1/orgs/{org_id}/todos/draft"): None,
    ("get", "/api/v1/orgs/{org_id}/todos/{todo_id}"): None,
    ("patch", "/api/v1/orgs/{org_id}/todos/{todo_id}"): {"title": "taken over"},
    ("post", "/api/v1/orgs/{org_id}/todos/{todo_id}/done"): None,
    ("post", "/api/v1/orgs/{org_id}/todos/{todo_id}/undone"): None,
    ("delete", "/api/v1/orgs/{org_id}/todos/{todo_id}"): None,
    ("get", "/api/v1/orgs/{org_id}/audit-log"): None,
    ("get", "/api/v1/orgs/{org_id}/audit-log/export"): None,
    ("get", "/api/v1/orgs/{org_id}/campaigns"): None,
    ("post", "/api/v1/orgs/{org_id}/campaigns"): spec(),
    ("get", "/api/v1/orgs/{org_id}/retention"): None,
    ("put", "/api/v1/orgs/{org_id}/retention"): {"days": 30},
    ("get", "/api/v1/orgs/{org_id}/ldap"): None,
    ("put", "/api/v1/orgs/{org_id}/ldap"): {"url": "ldap://127.0.0.1:1", "base_dn": "dc=example,dc=com"},
    ("delete", "/api/v1/orgs/{org_id}/ldap"): None,
    ("post", "/api/v1/orgs/{org_id}/ldap/test"): {},
    ("post", "/api/v1/orgs/{org_id}/ldap/sync"): None,
    ("get", "/api/v1/orgs/{org_id}/exports"): None,
    ("post", "/api/v1/orgs/{org_id}/exports"): None,
    ("get", "/api/v1/orgs/{org_id}/exports/{export_id}/download"): None,
    ("get", "/api/v1/orgs/{org_id}/sso/providers"): None,
    ("post", "/api/v1/orgs/{org_id}/sso/providers"): {
        "display_name": "冒充",
        "issuer": "https://evil.example",
        "client_id": "c",
        "client_secret": "s",
    },
    ("patch", "/api/v1/orgs/{org_id}/sso/providers/{provider_id}"): {"enabled": False},
    ("delete", "/api/v1/orgs/{org_id}/sso/providers/{provider_id}"): None,
}


def org_operations(app: FastAPI) -> list[tuple[str, str]]:
    paths = app.openapi()["paths"]
    return sorted(
        (method, path)
        for path, operations in paths.items()
        if path.startswith("/api/v1/orgs/{org_id}")
        for method in operations
    )


async def test_every_org_endpoint_refuses_outsiders(app: FastAPI, people: dict[str, Person]) -> None:
    zhangsan, lisi, wangwu, alice, bob, mallory = (
        people[n] for n in ("zhangsan", "lisi", "wangwu", "alice", "bob", "mallory")
    )
    operations = org_operations(app)
    missing = sorted(set(operations) - set(CASES))
    assert not missing, f"endpoints without an isolation case: {missing}"
    assert not set(CASES) - set(operations), "cases for endpoints that no longer exist"

    # Organization A with one of everything; mallory runs organization B.
    org = await company(zhangsan, [lisi, wangwu, alice])
    org_id = org["id"]
    base = f"/api/v1/orgs/{org_id}"
    other = await create_org(mallory, "来往")
    assert other["id"] != org_id
    dept = await department(zhangsan, org_id, "研发中心")
    await seat(zhangsan, org_id, dept["id"], lisi)
    contact = (await zhangsan.post(f"{base}/contacts", json={"name": "周总", "tags": ["客户"]})).json()
    invitation = (await zhangsan.post(f"{base}/invitations", json={"kind": "link"})).json()
    contact_invitation = (
        await zhangsan.post(f"{base}/contact-invitations", json={"email": "x@example.com"})
    ).json()
    await zhangsan.patch(base, json={"join_approval": True})
    request = (
        await bob.post(f"/api/v1/org-invitations/{await invite_code(zhangsan, org_id)}/join", json={})
    ).json()
    ding = (await zhangsan.post(f"{base}/dings", json={"recipient_ids": [lisi.id], "body": "机密"})).json()
    notice = (await zhangsan.post(f"{base}/announcements", json={"title": "内部", "body": "机密"})).json()
    export = (await zhangsan.post(f"{base}/exports")).json()
    # A to-do of A assigned to the two who are about to lose their membership.
    todo = (
        await zhangsan.post(
            f"{base}/todos", json={"title": "机密待办", "assignee_ids": [wangwu.id, alice.id]}
        )
    ).json()
    # An approval request, a role and a daily report of A, made while all were members.
    listed = (await zhangsan.get(f"{base}/approval-templates")).json()["templates"]
    general = next(t for t in listed if t["builtin"] == "general")
    approval = (
        await lisi.post(
            f"{base}/approvals",
            json={"template_id": general["id"], "values": {"title": "机密采购", "detail": "内部"}},
        )
    ).json()
    role = (await zhangsan.post(f"{base}/roles", json={"name": "机密组", "user_ids": [wangwu.id]})).json()
    report_templates = (await zhangsan.get(f"{base}/report-templates")).json()["templates"]
    daily = next(t for t in report_templates if t["builtin"] == "daily")
    report = (
        await lisi.post(
            f"{base}/reports",
            json={
                "template_id": daily["id"],
                "date": "2026-12-08",
                "answers": {"done": "机密进展"},
                "user_ids": [zhangsan.id, wangwu.id, alice.id],
            },
        )
    ).json()
    sso = {
        "display_name": "机密 SSO",
        "issuer": "https://sso.example.com",
        "client_id": "c",
        "client_secret": "s",
    }
    provider = (await zhangsan.post(f"{base}/sso/providers", json=sso)).json()
    directory = {"url": "ldap://dc1.corp.example", "base_dn": "ou=机密部,dc=corp,dc=example"}
    assert (await zhangsan.put(f"{base}/ldap", json=directory)).status_code == 200
    await zhangsan.delete(f"{base}/members/{wangwu.id}")  # an ex-member
    await zhangsan.post(f"{base}/members/{alice.id}/deactivate")  # a deactivated member

    ids = {
        "org_id": org_id,
        "user_id": lisi.id,
        "department_id": dept["id"],
        "contact_id": contact["id"],
        "request_id": request["join_request"]["id"],
        "ding_id": ding["id"],
        "announcement_id": notice["id"],
        "export_id": export["id"],
        "provider_id": provider["id"],
        "todo_id": todo["id"],
        "template_id": general["id"],
        "approval_id": approval["id"],
        "role_id": role["id"],
        "report_template_id": daily["id"],
        "report_id": report["id"],
    }
    secrets = ("湖畔科技", "研发中心", "周总", "机密", "内部", invitation["code"], "sso.example.com")
    for intruder in (mallory, wangwu, alice):
        for method, template in operations:
            values = dict(ids)
            values["invitation_id"] = (
                contact_invitation["id"] if "contact-invitations" in template else invitation["id"]
            )
            url = template.format(**values)
            # Required query parameters, so that the refusal is about who asks, not how.
            if url.endswith("/export.csv"):
                url += f"?template_id={general['id']}"
            elif url.endswith("/reports/team"):
                url += f"?template_id={daily['id']}"
            body = CASES[(method, template)]
            response = await intruder.http.request(
                method.upper(), url, headers=intruder.headers, json=body if body is not None else None
            )
            label = f"{intruder.username} {method.upper()} {template}"
            assert response.status_code in (403, 404), f"{label}: {response.status_code} {response.text}"
            payload = response.json()
            assert set(payload) == {"error"}, label
            assert set(payload["error"]) <= {"code", "message"}, label
            assert not any(secret in response.text for secret in secrets), label

    # Caller-scoped listings show nothing of A either.
    for intruder in (mallory, wangwu, alice):
        assert org_id not in [o["id"] for o in (await intruder.get("/api/v1/orgs")).json()]
    assert [o["id"] for o in (await mallory.get("/api/v1/orgs")).json()] == [other["id"]]

    # And nothing changed.
    after = (await zhangsan.get(base)).json()
    assert (after["name"], after["member_count"], after["owner_id"]) == ("湖畔科技", 2, zhangsan.id)
    assert [d["name"] for d in (await zhangsan.get(f"{base}/departments")).json()] == ["研发中心"]
    assert (await zhangsan.get(f"{base}/contacts/{contact['id']}")).json()["note"] == ""
    assert (await zhangsan.get(f"{base}/announcements/{notice['id']}")).json()["pinned"] is False
    assert (await zhangsan.get(f"{base}/dings/{ding['id']}")).json()["confirmed_count"] == 0
    assert not [i for i in (await zhangsan.get(f"{base}/invitations")).json() if i["revoked"]]
    assert [r["status"] for r in (await zhangsan.get(f"{base}/join-requests")).json()] == ["pending"]
    assert (await zhangsan.get(f"{base}/retention")).json()["days"] is None
    kept_approval = (await zhangsan.get(f"{base}/approvals/{approval['id']}")).json()
    assert (kept_approval["status"], [h["action"] for h in kept_approval["history"]]) == (
        "pending",
        ["submit"],
    )
    assert [r["name"] for r in (await zhangsan.get(f"{base}/roles")).json()["roles"]].count("机密组") == 1
    kept_report = (await lisi.get(f"{base}/reports/{report['id']}")).json()
    assert kept_report["read_count"] == 0
    kept = (await zhangsan.get(f"{base}/todos/{todo['id']}")).json()
    assert (kept["title"], kept["done_at"], [a["done_at"] for a in kept["assignees"]]) == (
        "机密待办",
        None,
        [None, None],
    )
    assert [e["id"] for e in (await zhangsan.get(f"{base}/exports")).json()["exports"]] == [export["id"]]
    assert (await mallory.get(f"/api/v1/orgs/{other['id']}/departments")).json() == []
    providers = (await zhangsan.get(f"{base}/sso/providers")).json()
    assert [(p["id"], p["display_name"], p["enabled"]) for p in providers] == [
        (provider["id"], "机密 SSO", True)
    ]
