"""Campaign pages: list with search, creation, version switch, and 404 for another account's campaign."""

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services import campaign_create
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _create(tenant, name="春节", version="faceswap"):
    return campaign_create(account=tenant.account, actor=tenant.owner.user, name=name, version=version)


def test_the_list_shows_own_campaigns_with_projectid_and_search(alice, bob):
    mine, other, theirs = _create(alice, "春节"), _create(alice, "中秋"), _create(bob, "春节")
    client = login(alice.viewer)
    body = client.get(reverse("campaigns:list")).content.decode()
    assert mine.project_id in body and other.project_id in body and theirs.project_id not in body
    assert 'data-copy="' + mine.project_id in body
    body = client.get(reverse("campaigns:list") + "?q=中秋").content.decode()
    assert other.project_id in body and mine.project_id not in body
    assert "新建活动" not in body  # a viewer cannot create


def test_the_create_page_preselects_face_swap_and_creates(alice):
    client = login(alice.admin)
    body = client.get(reverse("campaigns:create")).content.decode()
    assert 'value="faceswap" checked' in body and "推荐" in body and "即将下线" in body
    response = client.post(reverse("campaigns:create"), {"name": "优享活动", "version": "reinvent",
                                                          "face_degree": 50, "profile_degree": 20})
    assert response.status_code == 302
    campaign = Campaign.objects.get(account=alice.account)
    assert (campaign.version, campaign.face_degree, campaign.profile_degree) == ("reinvent", 50, 20)


def test_the_create_page_says_when_the_name_is_too_long(alice):
    response = login(alice.owner).post(reverse("campaigns:create"), {"name": "一" * 16, "version": "faceswap"})
    assert response.status_code == 200 and not Campaign.objects.exists()


def test_the_version_is_switched_from_the_list(alice):
    campaign = _create(alice)
    login(alice.owner).post(reverse("campaigns:set_version", args=[campaign.project_id]), {"version": "redefine"})
    campaign.refresh_from_db()
    assert campaign.version == "redefine"


def test_the_edit_page_shows_degree_levels_for_morphing_versions(alice):
    campaign = _create(alice, version="redefine")
    body = login(alice.owner).get(reverse("campaigns:edit", args=[campaign.project_id])).content.decode()
    assert "默认 · 50" in body
    login(alice.owner).post(reverse("campaigns:set_degrees", args=[campaign.project_id]),
                            {"face_degree": 60, "profile_degree": 70})
    campaign.refresh_from_db()
    assert (campaign.face_degree, campaign.profile_degree) == (60, 70)


def test_another_accounts_campaign_answers_404_everywhere(alice, bob):
    campaign = _create(bob)
    client = login(alice.owner)
    assert client.get(reverse("campaigns:edit", args=[campaign.project_id])).status_code == 404
    for name, data in (("campaigns:edit", {"name": "x"}), ("campaigns:set_version", {"version": "reinvent"}),
                       ("campaigns:set_degrees", {"face_degree": 1, "profile_degree": 1}),
                       ("campaigns:set_status", {"status": "disabled"}), ("campaigns:delete", {})):
        assert client.post(reverse(name, args=[campaign.project_id]), data).status_code == 404, name
    campaign.refresh_from_db()
    assert (campaign.name, campaign.version, campaign.status) == ("春节", "faceswap", "active")


def test_a_viewer_cannot_change_campaigns(alice):
    campaign = _create(alice)
    client = login(alice.viewer)
    assert client.post(reverse("campaigns:set_status", args=[campaign.project_id]),
                       {"status": "disabled"}).status_code == 403
    assert client.get(reverse("campaigns:create")).status_code == 403
