"""The built-in templates every organization starts with: 请假, 报销, 出差, 采购, 通用审批.

Their flows go to the applicant's direct leader (直属主管); leave of 3 days or more then goes to
the HR role (人事), an expense over ¥5,000 to the second-level leader, a purchase over ¥10,000 to
the Finance role (财务). Admins change them like any template (a change is a new version).
"""

from __future__ import annotations

from typing import Any

LEADER_1 = {"kind": "leader", "level": 1}
LEADER_2 = {"kind": "leader", "level": 2}
HR_ROLE = "人事"
FINANCE_ROLE = "财务"
SETTINGS = {"auto_approve_applicant": True, "auto_approve_repeat": True, "remind_after_hours": 24}


def _field(key: str, type_: str, label: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "type": type_, "label": label, "required": False, **extra}


def _step(name: str, approvers: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": name, "approvers": approvers, "mode": "any", "cc": [], "when": [], **extra}


def templates(hr_role_id: int, finance_role_id: int) -> list[dict[str, Any]]:
    """The built-in templates, for an organization whose HR and Finance roles have these ids."""
    leave = {
        "builtin": "leave",
        "name": "请假",
        "icon": "leave",
        "group": "人事",
        "description": "年假、事假、病假等",
        "form": {
            "fields": [
                _field(
                    "leave_type",
                    "select",
                    "请假类型",
                    required=True,
                    summary=True,
                    options=["年假", "事假", "病假", "调休", "婚假", "产假", "陪产假", "丧假"],
                ),
                _field("period", "daterange", "请假时间", required=True, summary=True),
                _field("reason", "textarea", "请假事由", required=True, summary=True, max_length=1000),
                _field("images", "image", "图片"),
            ]
        },
        "flow": {
            "steps": [
                _step("直属主管", [LEADER_1]),
                _step(
                    "人事",
                    [{"kind": "role", "role_id": hr_role_id}],
                    when=[{"field": "period", "op": ">=", "value": 3}],
                ),
            ],
            "cc": [],
        },
        "settings": SETTINGS,
    }
    expense = {
        "builtin": "expense",
        "name": "报销",
        "icon": "expense",
        "group": "财务",
        "description": "差旅费、交通费、招待费等",
        "form": {
            "fields": [
                _field(
                    "lines",
                    "table",
                    "报销明细",
                    required=True,
                    summary=True,
                    total_of="amount",
                    columns=[
                        _field(
                            "category",
                            "select",
                            "报销类别",
                            required=True,
                            options=["差旅费", "交通费", "招待费", "办公用品", "通讯费", "其他"],
                        ),
                        _field("amount", "money", "金额", required=True, min=1),
                        _field("date", "date", "发生日期"),
                        _field("note", "text", "费用说明", max_length=200),
                    ],
                ),
                _field("invoices", "attachment", "发票", required=True),
                _field("reason", "textarea", "报销事由", summary=True, max_length=1000),
                _field("payee_account", "text", "收款账号", hidden_from_approvers=True, max_length=64),
            ]
        },
        "flow": {
            "steps": [
                _step("直属主管", [LEADER_1]),
                _step("第二级主管", [LEADER_2], when=[{"field": "lines", "op": ">", "value": 500000}]),
                _step("财务", [{"kind": "role", "role_id": finance_role_id}]),
            ],
            "cc": [],
        },
        "settings": SETTINGS,
    }
    trip = {
        "builtin": "trip",
        "name": "出差",
        "icon": "trip",
        "group": "人事",
        "description": "出差行程与预算",
        "form": {
            "fields": [
                _field("destination", "text", "出差地点", required=True, summary=True, max_length=100),
                _field("period", "daterange", "出差时间", required=True, summary=True),
                _field(
                    "transport", "multiselect", "交通工具", options=["飞机", "火车", "汽车", "轮船", "其他"]
                ),
                _field("budget", "money", "预算", min=0),
                _field("reason", "textarea", "出差事由", required=True, summary=True, max_length=1000),
                _field("companions", "people", "同行人", multiple=True),
            ]
        },
        "flow": {"steps": [_step("直属主管", [LEADER_1])], "cc": []},
        "settings": SETTINGS,
    }
    purchase = {
        "builtin": "purchase",
        "name": "采购",
        "icon": "purchase",
        "group": "行政",
        "description": "物品采购申请",
        "form": {
            "fields": [
                _field(
                    "items",
                    "table",
                    "采购明细",
                    required=True,
                    summary=True,
                    total_of="amount",
                    columns=[
                        _field("name", "text", "名称", required=True, max_length=100),
                        _field("quantity", "number", "数量", required=True, min=1, max=1000000),
                        _field("amount", "money", "金额", required=True, min=0),
                    ],
                ),
                _field("expected", "date", "期望交付日期", summary=True),
                _field("reason", "textarea", "采购事由", required=True, summary=True, max_length=1000),
                _field("attachments", "attachment", "附件"),
            ]
        },
        "flow": {
            "steps": [
                _step("直属主管", [LEADER_1]),
                _step(
                    "财务",
                    [{"kind": "role", "role_id": finance_role_id}],
                    when=[{"field": "items", "op": ">", "value": 1000000}],
                ),
            ],
            "cc": [],
        },
        "settings": SETTINGS,
    }
    general = {
        "builtin": "general",
        "name": "通用审批",
        "icon": "general",
        "group": "其他",
        "description": "其他需要审批的事项",
        "form": {
            "fields": [
                _field("title", "text", "申请事项", required=True, summary=True, max_length=100),
                _field("detail", "textarea", "申请详情", required=True, summary=True, max_length=2000),
                _field("attachments", "attachment", "附件"),
            ]
        },
        "flow": {"steps": [_step("直属主管", [LEADER_1])], "cc": []},
        "settings": SETTINGS,
    }
    return [leave, expense, trip, purchase, general]
