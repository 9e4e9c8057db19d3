"""Campaign writes (docs/campaigns.md): create, rename, version, degrees, status, delete — each audited."""

import pytest
from django.core.exceptions import ValidationError

from campaigns import services
from campaigns.models import Campaign
from campaigns.selectors import campaign_find
from console.models import AuditEvent

pytestmark = pytest.mark.django_db


def _create(tenant, **kwargs):
    return services.campaign_create(account=tenant.account, actor=tenant.owner.user, **{"name": "春节", **kwargs})


def test_it_creates_a_face_swap_campaign_by_default(alice):
    campaign = _create(alice)
    assert campaign.project_id.startswith("at_") and campaign.version == "faceswap"
    assert campaign.status == "active"
    assert AuditEvent.objects.filter(action="campaign.create", target_id=campaign.project_id).count() == 1


def test_it_uses_the_versions_default_level(alice):
    assert (_create(alice, version="reinvent").face_degree, _create(alice, version="redefine").profile_degree) == \
        (30, 50)
    custom = _create(alice, version="reinvent", face_degree=70, profile_degree=10)
    assert (custom.face_degree, custom.profile_degree) == (70, 10)


@pytest.mark.parametrize("name", ["", "   ", "一二三四五六七八九十一二三四五六"])
def test_it_refuses_an_empty_or_long_name(alice, name):
    with pytest.raises(ValidationError):
        _create(alice, name=name)
    assert not Campaign.objects.exists()


def test_it_refuses_an_unknown_version_or_degree(alice):
    with pytest.raises(ValidationError):
        _create(alice, version="turbo")
    with pytest.raises(ValidationError):
        _create(alice, version="reinvent", face_degree=101)


def test_switching_version_moves_degrees_to_the_new_default(alice):
    campaign = _create(alice, version="reinvent", face_degree=70)
    services.campaign_set_version(campaign=campaign, actor=alice.owner.user, version="redefine")
    campaign.refresh_from_db()
    assert (campaign.version, campaign.face_degree, campaign.profile_degree) == ("redefine", 50, 50)
    event = AuditEvent.objects.get(action="campaign.version")
    assert (event.from_state, event.to_state) == ("reinvent", "redefine")


def test_face_swap_has_no_degrees_to_set(alice):
    with pytest.raises(ValidationError):
        services.campaign_set_degrees(campaign=_create(alice), actor=alice.owner.user, face_degree=10,
                                      profile_degree=10)


def test_rename_disable_and_enable(alice):
    campaign = _create(alice)
    services.campaign_rename(campaign=campaign, actor=alice.owner.user, name="中秋")
    services.campaign_transition(campaign=campaign, actor=alice.owner.user, action="disable")
    campaign.refresh_from_db()
    assert (campaign.name, campaign.status) == ("中秋", "disabled")
    with pytest.raises(ValidationError):
        services.campaign_transition(campaign=campaign, actor=alice.owner.user, action="gone")


def test_only_an_empty_campaign_is_deleted(alice):
    from materials.services import material_create, material_delete
    from tests.materials.conftest import fit

    campaign = _create(alice)
    material = material_create(account=alice.account, campaign=campaign, actor=alice.owner.user,
                               data=fit("obama.jpg"))
    with pytest.raises(ValidationError):
        services.campaign_delete(campaign=campaign, actor=alice.owner.user)
    material_delete(account=alice.account, material=material, actor=alice.owner.user)
    services.campaign_delete(campaign=campaign, actor=alice.owner.user)
    assert campaign_find(account=alice.account, project_id=campaign.project_id) is None


def test_find_is_scoped_by_account(alice, bob):
    campaign = _create(bob)
    assert campaign_find(account=alice.account, project_id=campaign.project_id) is None
    assert campaign_find(account=bob.account, project_id=campaign.project_id) == campaign


def test_degrees_set_on_a_stale_copy_do_not_undo_a_version_switch(alice):
    campaign = _create(alice, version="reinvent")
    stale = Campaign.objects.get(id=campaign.id)
    services.campaign_set_version(campaign=campaign, actor=alice.owner.user, version="redefine")
    with pytest.raises(ValidationError):
        services.campaign_set_degrees(campaign=stale, actor=alice.owner.user, face_degree=10, profile_degree=10)
    campaign.refresh_from_db()
    assert (campaign.version, campaign.face_degree, campaign.profile_degree) == ("redefine", 50, 50)
    assert not AuditEvent.objects.filter(action="campaign.degrees").exists()


def test_renaming_a_deleted_campaign_writes_no_audit_row(alice):
    campaign = _create(alice)
    stale = Campaign.objects.get(id=campaign.id)
    services.campaign_delete(campaign=campaign, actor=alice.owner.user)
    with pytest.raises(ValidationError):
        services.campaign_rename(campaign=stale, actor=alice.owner.user, name="中秋")
    assert not AuditEvent.objects.filter(action="campaign.rename").exists()
