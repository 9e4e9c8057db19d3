"""Self-service fixtures: a real SMTP server (aiosmtpd) on a free loopback port that every test
in this folder mails through, and a helper that signs a new customer up through the service."""

import email
import email.policy
import logging
import re
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Mailbox:
    """What the SMTP server received, oldest first."""

    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:
        msg = email.message_from_bytes(envelope.original_content or envelope.content, policy=email.policy.default)
        msg["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(msg)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """Mail received so far, after the sends on background threads (password reset) are done."""
        from selfservice.mail import mail_background_wait

        mail_background_wait()
        address = address.lower()
        return [m for m in self.messages if address in m["X-Envelope-To"].lower()]

    def last_to(self, address: str) -> EmailMessage:
        found = self.to(address)
        assert found, f"no mail to {address}; got {[m['X-Envelope-To'] for m in self.messages]}"
        return found[-1]

    def clear(self) -> None:
        self.messages.clear()


def body(msg: EmailMessage) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def link_in(msg: EmailMessage, path_fragment: str) -> str:
    for url in re.findall(r"https?://\S+", body(msg)):
        if path_fragment in url:
            return url
    raise AssertionError(f"no link containing {path_fragment!r} in:\n{body(msg)}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def _smtp_server() -> Iterator[tuple[Mailbox, int]]:
    # aiosmtpd logs every connection at INFO; failures are what matters here.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    mailbox = Mailbox()
    port = _free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


@pytest.fixture(autouse=True)
def mailbox(_smtp_server, settings) -> Mailbox:
    box, port = _smtp_server
    box.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.PUBLIC_BASE_URL = "http://testserver"
    return box


NEW_PASSWORD = "fusion-Lantern-42"


def signup(email_address: str = "new@example.com", company: str = "新客户 科技", **kwargs: str):
    """A self-registered account (not activated, email unverified), mail sent on commit."""
    from selfservice import services

    return services.signup_register(email=email_address, password=NEW_PASSWORD, company=company,
                                    contact_name="王小明", contact_phone="13800138000", **kwargs)


def owner_of(account):
    from console.models import Member, Role

    return Member.objects.select_related("user", "account").get(account=account, role=Role.OWNER)


def page_text(resp) -> str:
    """The page without its per-request CSRF tokens, to compare two answers."""
    text = resp.content.decode()
    text = re.sub(r'"X-CSRFToken": "[^"]+"', "", text)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
