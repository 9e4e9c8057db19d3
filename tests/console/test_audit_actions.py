"""Audit actions are one enum: every action the services record has a label in Chinese and English."""

import pytest
from django.utils import translation

from console.models import AuditAction, AuditEvent


@pytest.mark.parametrize("action", list(AuditAction))
def test_every_audit_action_has_a_chinese_and_an_english_label(action):
    with translation.override("zh-hans"):
        chinese = str(action.label)
    with translation.override("en"):
        english = str(action.label)
    assert english and chinese != english
    assert any("\u4e00" <= char <= "\u9fff" for char in chinese), chinese


def test_the_audit_log_takes_only_actions_of_the_enum():
    assert dict(AuditEvent._meta.get_field("action").choices) == dict(AuditAction.choices)


@pytest.mark.django_db
def test_the_history_shows_the_actions_label(alice, operator):
    from django.urls import reverse

    from console.services import account_transition
    from tests.conftest import login

    account_transition(account=alice.account, action="freeze", actor=operator, reason="检查")
    body = login(operator).get(reverse("console:operator_account_detail", args=[alice.account.id])).content.decode()
    assert 'data-action="account.status"' in body and "变更账号状态" in body
