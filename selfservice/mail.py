"""Mail sent on a background thread, so the password-reset page answers as fast whether or not an
address is registered (the mail itself is rendered and sent by Django's reset form)."""

import threading
from collections.abc import Callable

from django.utils import translation

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
