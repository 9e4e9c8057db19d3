"""The words a customer reads (issue 15, item 11): one name per thing in each language, nothing
repeated, no internal units, no English left in Chinese or Chinese in English."""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from tests.conftest import login

pytestmark = pytest.mark.django_db


def _english(member):
    client = login(member)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_filters_are_筛选_not_过滤器(alice):
    for name in ("materials:list", "billing:ledger"):
        page = login(alice.owner).get(reverse(name)).content.decode()
        assert "筛选" in page and "过滤器" not in page


def test_degree_levels_rise_with_their_values_in_both_languages(alice):
    from campaigns.models import level_choices

    zh = login(alice.owner).get(reverse("campaigns:create")).content.decode()
    assert zh.index("最低 · 10") < zh.index("低 · 20") < zh.index("高 · 50") < zh.index("最高 · 70")
    assert "较高" not in zh and "较低" not in zh
    en = _english(alice.owner).get(reverse("campaigns:create")).content.decode()
    assert en.index("Lowest · 10") < en.index("Low · 20") < en.index("High · 50") < en.index("Highest · 70")
    assert [v for v, _label in level_choices("reinvent")] == [10, 20, 30, 50, 70]


def test_the_ledger_speaks_yuan(alice):
    page = login(alice.finance).get(reverse("billing:ledger")).content.decode()
    assert "（分）" not in page and "(fen)" not in page and "账户余额" in page


def test_the_postpaid_note_says_后付费_once(alice):
    page = login(alice.owner).get(reverse("billing:buy")).content.decode()
    note = re.search(r'data-testid="postpaid-note">(.*?)</p>', page, re.S).group(1)
    assert note.count("后付费") == 1
    assert "100万次以内 ¥0.02" in note and "100万–500万次 ¥0.012" in note and "超过 500万次 ¥0.005" in note


def test_the_sign_up_title_names_the_product_once(db):
    page = Client().get(reverse("console:signup")).content.decode()
    assert "注册融合账号" in page and "融合人脸融合" not in page


def test_the_campaign_list_counts_materials_under_素材数(alice):
    from campaigns.services import campaign_create

    campaign_create(account=alice.account, actor=alice.owner.user, name="春节活动")
    page = login(alice.owner).get(reverse("campaigns:list")).content.decode()
    head = page[page.index("<thead>"):page.index("</thead>")]
    assert "素材数" in head and "素材管理" not in head


def test_packs_have_one_name_per_language(alice, operator):
    from billing.services import order_create
    from tests.billing.conftest import top_up

    top_up(alice.account, 1_600_000, operator)
    order_create(account=alice.account, price_code="pack_1m", quantity=1, actor=alice.owner.user)
    for name in ("billing:overview", "billing:buy", "billing:orders"):
        zh = login(alice.owner).get(reverse(name)).content.decode()
        assert "资源包 100万次" in zh and "1,000,000 次" not in zh, name
        en = _english(alice.owner).get(reverse(name)).content.decode()
        assert "Resource pack, 1,000,000 calls" in en and "资源包" not in en, name
