"""Self-service fixtures: every test in this folder mails through the real SMTP server of
tests/conftest.py, and a helper signs a new customer up through the service."""

import re

import pytest


@pytest.fixture(autouse=True)
def _mail_through_smtp(mailbox) -> None:
    """Every test in this folder mails through the real SMTP server (tests/conftest.py)."""


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
