"""The vendor-compatible endpoints of incoming webhooks: each answers exactly as the original does
(its HTTP status, its envelope, its error codes), so that the client libraries and tools made for
DingTalk, Slack, Mattermost, WeCom and Feishu post here unchanged. No session: the token in the
URL is the credential (services/webhook_delivery.py checks it, and everything else).

- DingTalk custom robot: ``POST /robot/send?access_token=…[&timestamp=…&sign=…]``
- Slack / Mattermost incoming webhook: ``POST /hooks/<key>`` (JSON, or a form field ``payload``)
- WeCom group robot: ``POST /cgi-bin/webhook/send?key=…``
- Feishu / Lark custom bot: ``POST /open-apis/bot/v2/hook/<token>``

Bodies over a dialect's limit are refused before they are parsed (docs/integrations/webhooks.md);
bodies over the server's general limit (``max_request_body_bytes``) never reach here: the edge
answers 413 ``TOO_LARGE`` in lakeside's envelope.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.responses import Response

from lakeside.api.deps import ServicesDep, client_address
from lakeside.api.schemas import ErrorOut
from lakeside.domain.dialects import Answer, dingtalk, feishu, slack, wecom
from lakeside.services.container import Services
from lakeside.services.webhook_delivery import Delivery

router = APIRouter(tags=["incoming webhooks"])


class DingTalkAnswer(BaseModel):
    errcode: int
    errmsg: str


class FeishuAnswer(BaseModel):
    code: int
    msg: str
    data: dict[str, Any]
    StatusCode: int | None = None
    StatusMessage: str | None = None


def _json_answers(model: type[BaseModel], description: str) -> dict[int | str, dict[str, Any]]:
    return {
        200: {"model": model, "description": description},
        400: {"model": ErrorOut, "description": "A NUL character in the address (lakeside's edge)."},
        404: {"model": ErrorOut, "description": "No such path (lakeside)."},
        413: {"model": ErrorOut, "description": "Over the server's general body limit (lakeside's edge)."},
    }


_TEXT = {"text/plain": {"schema": {"type": "string"}}}
_SLACK_ANSWERS: dict[int | str, dict[str, Any]] = {
    200: {"content": _TEXT, "description": "`ok`"},
    400: {
        "content": {**_TEXT, "application/json": {"schema": ErrorOut.model_json_schema()}},
        "description": "`invalid_payload`, `no_text`, `too_many_attachments`",
    },
    403: {"content": _TEXT, "description": "`action_prohibited` (keywords, IP allowlist, a refused post)"},
    404: {
        "content": {**_TEXT, "application/json": {"schema": ErrorOut.model_json_schema()}},
        "description": "`no_service` (no such hook, or revoked), `channel_not_found`",
    },
    413: {"model": ErrorOut, "description": "Over the server's general body limit (lakeside's edge)."},
    429: {"content": _TEXT, "description": "`rate_limited`, with Retry-After"},
}
_ANY_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": {"type": "object", "additionalProperties": True}}},
    }
}
_SLACK_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            "application/x-www-form-urlencoded": {
                "schema": {"type": "object", "properties": {"payload": {"type": "string"}}}
            },
        },
    }
}


def _respond(answer: Answer) -> Response:
    return Response(
        answer.body, status_code=answer.status, media_type=answer.media_type, headers=answer.headers
    )


async def _body(request: Request, limit: int) -> bytes | None:
    body = await request.body()
    return None if len(body) > limit else body


async def _deliver(
    request: Request, services: Services, dialect: str, token: str, limit: int, **signature: str
) -> Response:
    """Hand what a vendor endpoint received to the delivery service and answer in its dialect."""
    delivery = Delivery(
        dialect=dialect,
        token=token,
        body=await _body(request, limit),
        address=client_address(request),
        content_type=request.headers.get("content-type", ""),
        **signature,
    )
    return _respond(await services.webhook_delivery.deliver(delivery))


@router.post(
    "/robot/send",
    response_class=Response,
    responses=_json_answers(DingTalkAnswer, '`{"errcode": 0, "errmsg": "ok"}` or DingTalk\'s error'),
    openapi_extra=_ANY_BODY,
    summary="DingTalk custom robot (自定义机器人)",
)
async def dingtalk_send(
    request: Request,
    services: ServicesDep,
    access_token: str = Query(default="", description="The robot's token."),
    timestamp: str = Query(default="", description="Signing: milliseconds since the epoch."),
    sign: str = Query(default="", description="Signing: URL-encoded Base64 HMAC-SHA256."),
) -> Response:
    """Post as a DingTalk custom robot: text, markdown, link, actionCard, feedCard, with ``at``."""
    return await _deliver(
        request, services, "dingtalk", access_token, dingtalk.BODY_LIMIT, timestamp=timestamp, sign=sign
    )


@router.post(
    "/hooks/{key}",
    response_class=Response,
    responses=_SLACK_ANSWERS,
    openapi_extra=_SLACK_BODY,
    summary="Slack / Mattermost incoming webhook",
)
async def slack_send(key: str, request: Request, services: ServicesDep) -> Response:
    """Post as a Slack or Mattermost incoming webhook: text (mrkdwn), attachments, blocks, props.card."""
    return await _deliver(request, services, "slack", key, slack.BODY_LIMIT)


@router.post(
    "/cgi-bin/webhook/send",
    response_class=Response,
    responses=_json_answers(DingTalkAnswer, '`{"errcode": 0, "errmsg": "ok"}` or WeCom\'s error'),
    openapi_extra=_ANY_BODY,
    summary="WeCom group robot (企业微信群机器人)",
)
async def wecom_send(
    request: Request,
    services: ServicesDep,
    key: str = Query(default="", description="The robot's key."),
) -> Response:
    """Post as a WeCom group robot: text (with mentions), markdown, news."""
    return await _deliver(request, services, "wecom", key, wecom.BODY_LIMIT)


@router.post(
    "/open-apis/bot/v2/hook/{token}",
    response_class=Response,
    responses=_json_answers(FeishuAnswer, "Feishu's `code`/`msg` envelope"),
    openapi_extra=_ANY_BODY,
    summary="Feishu / Lark custom bot (自定义机器人)",
)
@router.post("/open-apis/bot/v2/hook/{token}/", response_class=Response, include_in_schema=False)
async def feishu_send(token: str, request: Request, services: ServicesDep) -> Response:
    """Post as a Feishu / Lark custom bot: text, post (rich text), interactive cards."""
    return await _deliver(request, services, "feishu", token, feishu.BODY_LIMIT)
