"""Chinese by default; the top bar's switch flips to English and back, and the choice persists."""

import re

import pytest
from django.urls import reverse

from tests.conftest import login

pytestmark = pytest.mark.django_db


def test_it_speaks_chinese_by_default(alice):
    body = login(alice.owner).get(reverse("console:overview")).content.decode()
    assert '<html lang="zh-hans">' in body
    for label in ("概览", "活动管理", "素材管理", "测试效果", "用量统计", "费用中心", "访问管理"):
        assert label in body
    assert re.search(r'data-testid="lang-switch"[^>]*>English<', body)


def test_it_speaks_chinese_on_the_sign_in_page_even_for_english_browsers(db):
    from django.test import Client

    body = Client(HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").get(reverse("console:login")).content.decode()
    # Only the visitor's own choice (the switch's cookie) turns the console to English.
    assert '<html lang="zh-hans">' in body and "登录" in body
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-CN")
    client.cookies["django_language"] = "en"
    assert '<html lang="en">' in client.get(reverse("console:login")).content.decode()
    client.cookies["django_language"] = "xx-nonsense"
    assert '<html lang="zh-hans">' in client.get(reverse("console:login")).content.decode()


def test_it_switches_to_english_and_back_and_remembers(alice):
    client = login(alice.owner)
    overview = reverse("console:overview")
    response = client.post(reverse("set_language"), {"language": "en", "next": overview})
    assert response.status_code == 302 and response.url == overview
    assert response.cookies["django_language"].value == "en"
    body = client.get(overview).content.decode()
    assert '<html lang="en">' in body and ">Campaigns<" in body and "概览" not in body
    assert re.search(r'data-testid="lang-switch"[^>]*>中文<', body)
    # The cookie outlives the session: signing in again keeps English.
    again = login(alice.owner)
    again.cookies["django_language"] = client.cookies["django_language"].value
    assert ">Overview<" in again.get(overview).content.decode()
    client.post(reverse("set_language"), {"language": "zh-hans", "next": overview})
    assert "概览" in client.get(overview).content.decode()


def test_it_has_no_untranslated_strings_in_the_chinese_catalogue():
    from pathlib import Path

    from tests.conftest import REPO

    po = Path(REPO, "locale", "zh_Hans", "LC_MESSAGES", "django.po").read_text(encoding="utf-8")
    blocks = po.split("\n\n")[1:]
    untranslated = [b for b in blocks if 'msgstr ""' in b.splitlines()[-1] and "msgstr \"\"\n\"" not in b]
    assert not untranslated
    assert "#, fuzzy" not in po
    mo = Path(REPO, "locale", "zh_Hans", "LC_MESSAGES", "django.mo")
    assert mo.stat().st_mtime >= Path(REPO, "locale", "zh_Hans", "LC_MESSAGES", "django.po").stat().st_mtime - 1
