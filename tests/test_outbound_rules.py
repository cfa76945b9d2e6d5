"""The pure rules of outbound delivery (domain/outbound.py) and the standalone verification helper
bots copy (lakeside/webhook_signature.py): they sign alike, answers are classified as documented,
the schedule and Retry-After, session tokens, keywords."""

from __future__ import annotations

import base64
import email.utils
import hashlib
import hmac

from lakeside import webhook_signature
from lakeside.domain import outbound as rules


def test_the_server_and_the_helper_sign_alike() -> None:
    body = '{"id":"evt_1","data":{"body":"你好"}}'.encode()
    server = rules.event_signature("whsec_x", 1_765_130_000, body)
    assert server == webhook_signature.event_signature("whsec_x", "1765130000", body)
    assert server == "sha256=" + hmac.new(b"whsec_x", b"1765130000." + body, hashlib.sha256).hexdigest()
    headers = {"X-Lakeside-Timestamp": "1765130000", "X-Lakeside-Signature": server}
    assert webhook_signature.verify_event("whsec_x", headers, body, now=1_765_130_100)
    lowered = {k.lower(): v for k, v in headers.items()}
    assert webhook_signature.verify_event("whsec_x", lowered, body, now=1_765_130_100)
    assert not webhook_signature.verify_event("whsec_x", headers, body, now=1_765_130_400)  # stale
    assert not webhook_signature.verify_event("whsec_y", headers, body, now=1_765_130_100)
    assert not webhook_signature.verify_event("whsec_x", {**headers, "X-Lakeside-Timestamp": "x"}, body)
    assert not webhook_signature.verify_event("whsec_x", {}, body)

    # DingTalk's: Base64(HMAC-SHA256(secret, timestamp + "\n" + secret)).
    stamp = "1765130000000"
    expected = base64.b64encode(
        hmac.new(b"SECabc", f"{stamp}\nSECabc".encode(), hashlib.sha256).digest()
    ).decode()
    assert (
        rules.dingtalk_sign("SECabc", stamp) == webhook_signature.dingtalk_sign("SECabc", stamp) == expected
    )
    signed = {"timestamp": stamp, "sign": expected}
    assert webhook_signature.verify_dingtalk("SECabc", signed, now=1_765_130_000)
    assert not webhook_signature.verify_dingtalk("SECabc", signed, now=1_765_130_000 + 3601)
    assert not webhook_signature.verify_dingtalk("SECabd", signed, now=1_765_130_000)


def test_answers_and_the_schedule() -> None:
    assert [rules.classify(s) for s in (200, 204, 299)] == ["delivered"] * 3
    assert [rules.classify(s) for s in (408, 429, 500, 502, 503)] == ["retry"] * 5
    assert [rules.classify(s) for s in (301, 400, 401, 403, 404, 410, 422)] == ["failed"] * 7
    waits = [rules.backoff_ms(n, 0.5) for n in range(1, rules.MAX_ATTEMPTS + 1)]
    assert waits == [10_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000, 43_200_000, None]
    assert rules.backoff_ms(1, 0.0) == 8_000 and rules.backoff_ms(1, 0.999999) == 11_999
    assert sum(w for w in waits if w) < 24 * 3600 * 1000
    now = 1_765_130_000_000
    assert rules.retry_after_ms("120", now) == 120_000
    assert rules.retry_after_ms("9999999", now) == rules.MAX_RETRY_AFTER_MS
    date = email.utils.formatdate((now + 300_000) / 1000, usegmt=True)
    assert rules.retry_after_ms(date, now) == 300_000
    assert rules.retry_after_ms("soon", now) is None and rules.retry_after_ms(None, now) is None


def test_session_tokens_and_keywords() -> None:
    token = rules.session_token("server-secret", 3, 42, 1_765_130_000_000)
    assert rules.read_session_token("server-secret", token) == (3, 42, 1_765_130_000_000)
    assert rules.read_session_token("other-secret", token) is None
    tampered = rules.session_token("server-secret", 3, 43, 1_765_130_000_000)
    mixed = tampered[:32] + token[32:]  # another conversation under this token's MAC
    assert mixed != token
    assert rules.read_session_token("server-secret", mixed) is None
    for junk in ("", "!!!", "a" * 101, "中文", token + "A"):
        assert rules.read_session_token("server-secret", junk) is None
    assert rules.clean_keywords([" 发布 ", "Deploy", "deploy", "", "发布"]) == ["发布", "Deploy"]
    assert rules.keyword_hit("please DEPLOY now", ["deploy"]) and not rules.keyword_hit("上线", ["发布"])
