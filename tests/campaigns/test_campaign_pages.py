"""Campaign pages: list with search, creation, version switch, and 404 for another account's campaign."""

import re

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.services import campaign_create
from tests.conftest import login

pytestmark = pytest.mark.django_db


def _without_tokens(response) -> str:
    """The page without its per-request CSRF tokens, to compare two answers."""
    return re.sub(r'(X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]+', r"\1", response.content.decode())


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
    degrees = (campaign.face_degree, campaign.profile_degree)
    client = login(alice.owner)
    # Exactly like a ProjectId that does not exist: same status, and the same page.
    for project_id in (campaign.project_id, "at_doesnotexist0000"):
        assert client.get(reverse("campaigns:edit", args=[project_id])).status_code == 404, project_id
        for name, data in (("campaigns:edit", {"name": "x"}), ("campaigns:set_version", {"version": "reinvent"}),
                           ("campaigns:set_degrees", {"face_degree": 1, "profile_degree": 1}),
                           ("campaigns:set_status", {"action": "disable"}), ("campaigns:delete", {})):
            assert client.post(reverse(name, args=[project_id]), data).status_code == 404, (name, project_id)
    theirs = _without_tokens(client.get(reverse("campaigns:edit", args=[campaign.project_id])))
    missing = _without_tokens(client.get(reverse("campaigns:edit", args=["at_doesnotexist0000"])))
    assert theirs.replace(campaign.project_id, "") == missing.replace("at_doesnotexist0000", "")
    assert "春节" not in theirs
    campaign.refresh_from_db()
    assert (campaign.name, campaign.version, campaign.status) == ("春节", "faceswap", "active")
    assert (campaign.face_degree, campaign.profile_degree) == degrees != (1, 1)


@pytest.mark.parametrize("role", ["owner", "admin", "developer", "finance", "viewer"])
def test_each_role_sees_and_changes_campaigns_exactly_as_its_capabilities_say(alice, role):
    from console.models import AuditEvent
    from console.roles import CAPABILITIES

    campaign = _create(alice)
    may_see, may_manage = role in CAPABILITIES["campaigns.view"], role in CAPABILITIES["campaigns.manage"]
    client = login(alice.member(role))
    assert client.get(reverse("campaigns:list")).status_code == (200 if may_see else 403)
    assert client.get(reverse("campaigns:create")).status_code == (200 if may_manage else 403)
    audit_before = AuditEvent.objects.count()
    writes = [
        (reverse("campaigns:create"), {"name": "新活动", "version": "faceswap"}),
        (reverse("campaigns:edit", args=[campaign.project_id]), {"name": "改名"}),
        (reverse("campaigns:set_version", args=[campaign.project_id]), {"version": "reinvent"}),
        (reverse("campaigns:set_status", args=[campaign.project_id]), {"action": "disable"}),
    ]
    for url, data in writes:
        assert client.post(url, data).status_code == (302 if may_manage else 403), url
    campaign.refresh_from_db()
    if may_manage:
        assert (campaign.name, campaign.version, campaign.status) == ("改名", "reinvent", "disabled")
        assert Campaign.objects.filter(account=alice.account).count() == 2
    else:
        assert (campaign.name, campaign.version, campaign.status) == ("春节", "faceswap", "active")
        assert Campaign.objects.filter(account=alice.account).count() == 1
        assert AuditEvent.objects.count() == audit_before
