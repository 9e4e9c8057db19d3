"""The overview shows what exists in the account so far, and only what the role may see."""

import uuid

import pytest
from django.urls import reverse

from console import services
from console.models import Account
from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_it_shows_the_account_and_its_figures_to_the_owner(alice, bob):
    services.credential_create(member=alice.owner)
    services.credential_create(member=alice.developer)
    body = login(alice.owner).get(reverse("console:overview")).content.decode()
    assert f'data-testid="app-id">{alice.account.app_id}<' in body
    assert "Alice 科技" in body and "Bob 传媒" not in body
    assert "活动管理" in body and "素材管理" in body  # figure cards of the apps that exist
    assert '<p class="figure">5</p>' in body  # five logins
    assert "账号内共 2 个" in body


def test_it_shows_this_months_calls_and_the_free_pack_left(alice):
    from billing.services import free_pack_ensure, usage_record_create

    free_pack_ensure(account=alice.account)
    for _ in range(3):
        usage_record_create(account=alice.account, request_id=str(uuid.uuid4()), action="FuseFace",
                            result_code="", billable=True, latency_ms=90)
    body = login(alice.finance).get(reverse("console:overview")).content.decode()
    assert "本月 API 调用" in body and '<p class="figure">3</p>' in body
    assert "本月免费调用剩余 1,000 / 1,000 次" in body


def test_it_leaves_out_what_the_role_may_not_see(alice):
    body = login(alice.finance).get(reverse("console:overview")).content.decode()
    assert reverse("campaigns:list") not in body  # finance reads neither campaigns nor materials
    assert "管理子账号" not in body
    viewer = login(alice.viewer).get(reverse("console:overview")).content.decode()
    assert "管理 API 密钥" not in viewer


def test_it_warns_when_the_account_is_frozen(alice, operator):
    Account.objects.filter(id=alice.account.id).update(status="frozen")
    body = login(alice.developer).get(reverse("console:overview")).content.decode()
    assert "API 调用将被拒绝" in body
