"""The one mail helper: plain-text mail rendered from an app's templates and sent after the
surrounding transaction commits. Each app sends its own notices through ``account_notice_send``."""

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

from console.models import Account
from console.selectors import account_notice_recipients

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """Links in mail use PUBLIC_BASE_URL, never the request's Host header (which a client controls)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def render_mail(template: str, context: dict[str, Any], *, language: str | None = None) -> tuple[str, str]:
    """Subject and body from ``<template>_subject.txt`` and ``<template>_body.txt``
    (``template`` is a path such as ``materials/mail/material_decided``)."""
    context = {"base_url": settings.PUBLIC_BASE_URL.rstrip("/"), **context}
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        subject = render_to_string(f"{template}_subject.txt", context)
        body = render_to_string(f"{template}_body.txt", context)
    # A header must be one line.
    return " ".join(subject.split()), body


def mail_send_on_commit(*, to: Iterable[str], template: str, context: dict[str, Any],
                        language: str | None = None) -> None:
    recipients = sorted({addr.strip().lower() for addr in to if addr and addr.strip()})
    if not recipients:
        return
    subject, body = render_mail(template, context, language=language)

    def _send() -> None:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
        except OSError:
            # Mail is a notice, not the change itself: a mail server outage must not undo it.
            logger.exception("could not send %s mail to %s", template, recipients)

    transaction.on_commit(_send)


def account_notice_send(*, account: Account, template: str, context: dict[str, Any]) -> None:
    """A notice about one of the account's objects, to its contact email and its owner's, in the
    platform's language, once the caller's transaction commits. Call it from inside the service that
    made the change."""
    mail_send_on_commit(to=account_notice_recipients(account=account), template=template,
                        language=settings.LANGUAGE_CODE, context={"account": account, **context})
