"""Plain-text mail rendered from templates, sent after the surrounding transaction commits."""

import logging
import threading
from collections.abc import Callable, Iterable

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import translation

logger = logging.getLogger(__name__)


def absolute_url(path: str) -> str:
    """Links in mail use PUBLIC_BASE_URL, never the request's Host header (which a client controls)."""
    return settings.PUBLIC_BASE_URL.rstrip("/") + path


def render_mail(template: str, context: dict, *, language: str | None = None) -> tuple[str, str]:
    context = {"base_url": settings.PUBLIC_BASE_URL.rstrip("/"), **context}
    with translation.override(language or translation.get_language() or settings.LANGUAGE_CODE):
        subject = render_to_string(f"selfservice/mail/{template}_subject.txt", context)
        body = render_to_string(f"selfservice/mail/{template}_body.txt", context)
    # A header must be one line.
    return " ".join(subject.split()), body


def mail_send_on_commit(*, to: Iterable[str], template: str, context: dict, language: str | None = None) -> None:
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


_background_lock = threading.Lock()
_background_sends: set[threading.Thread] = set()


def mail_send_in_background(send: Callable[[], None]) -> None:
    """Run ``send`` on a thread, in the caller's language, so the request takes as long whether or
    not a mail goes out: the password-reset page must not tell by its timing (an SMTP round trip)
    whether an address is registered."""
    language = translation.get_language()

    def _run() -> None:
        try:
            with translation.override(language):
                send()
        finally:
            with _background_lock:
                _background_sends.discard(threading.current_thread())

    thread = threading.Thread(target=_run, name="mail-send")
    with _background_lock:
        _background_sends.add(thread)
    thread.start()


def mail_background_wait(timeout: float = 10.0) -> None:
    """Wait for the mails sent in the background so far (tests, and anything that must see them)."""
    with _background_lock:
        pending = list(_background_sends)
    for thread in pending:
        thread.join(timeout)
