"""Outgoing e-mail over SMTP (the standard library's smtplib, run in a thread).

Configured by ``smtp_host`` (empty: e-mail is off), ``smtp_port``, ``smtp_from``,
``smtp_starttls``, ``smtp_username`` and ``smtp_password``. Used by DING escalation; the
blocking SMTP conversation runs in a worker thread so the event loop never waits on it.
"""

from __future__ import annotations

import asyncio
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from lakeside.config import Settings


class MailNotConfigured(Exception):
    """No SMTP server is configured."""


def _send(settings: Settings, message: EmailMessage) -> None:
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password)
        smtp.send_message(message)


async def send_mail(settings: Settings, *, to: str, subject: str, body: str) -> str:
    """Send one plain-text message; returns its Message-ID. Raises MailNotConfigured or the
    smtplib/OS error of a failed delivery."""
    if not settings.smtp_host:
        raise MailNotConfigured("no SMTP server configured (LAKESIDE_SMTP_HOST)")
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain="lakeside")
    message.set_content(body)
    await asyncio.to_thread(_send, settings, message)
    return str(message["Message-ID"])
