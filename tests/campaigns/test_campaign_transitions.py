"""Campaign status moves only through CAMPAIGN_TRANSITIONS: each allowed (status, action) reaches the
table's state with an audit row; every other pair is refused and changes nothing."""

import itertools

import pytest
from django.urls import reverse

from campaigns.models import CAMPAIGN_TRANSITIONS, Campaign, CampaignAction, CampaignStatus
from campaigns.services import campaign_create, campaign_transition
from console.models import AuditEvent
from console.transitions import TransitionRefused
from tests.conftest import login

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(CampaignStatus.values, [*CampaignAction.values, "delete"]))
ALLOWED = [pair for pair in ALL_PAIRS if CAMPAIGN_TRANSITIONS.allows(*pair)]
FORBIDDEN = [pair for pair in ALL_PAIRS if not CAMPAIGN_TRANSITIONS.allows(*pair)]


def _campaign_in(alice, status: str) -> Campaign:
    campaign = campaign_create(account=alice.account, actor=alice.owner.user, name="春节")
    Campaign.objects.filter(id=campaign.id).update(status=status)
    campaign.refresh_from_db()
    return campaign


@pytest.mark.parametrize(("status", "action"), ALLOWED)
def test_it_moves_an_allowed_pair_to_the_tables_state_with_an_audit_row(alice, status, action):
    campaign = _campaign_in(alice, status)
    campaign_transition(campaign=campaign, actor=alice.owner.user, action=action)
    expected = CAMPAIGN_TRANSITIONS.target(status, action)
    assert Campaign.objects.get(id=campaign.id).status == expected
    event = AuditEvent.objects.get(action="campaign.status", target_id=campaign.project_id)
    assert (event.from_state, event.to_state) == (status, expected)


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_it_refuses_a_forbidden_pair_and_changes_nothing(alice, status, action):
    campaign = _campaign_in(alice, status)
    with pytest.raises(TransitionRefused):
        campaign_transition(campaign=campaign, actor=alice.owner.user, action=action)
    assert Campaign.objects.get(id=campaign.id).status == status
    assert not AuditEvent.objects.filter(action="campaign.status", target_id=campaign.project_id).exists()


def test_it_refuses_a_stale_page_that_disables_an_already_disabled_campaign(alice):
    campaign = _campaign_in(alice, CampaignStatus.DISABLED)
    response = login(alice.owner).post(reverse("campaigns:set_status", args=[campaign.project_id]),
                                       {"action": "disable"}, follow=True)
    assert "当前不可进行此操作" in response.content.decode()
    assert not AuditEvent.objects.filter(action="campaign.status", target_id=campaign.project_id).exists()


def test_the_list_offers_only_the_action_the_table_allows(alice):
    active = _campaign_in(alice, CampaignStatus.ACTIVE)
    body = login(alice.owner).get(reverse("campaigns:list")).content.decode()
    row = body.split(active.project_id, 1)[1].split("</tr>", 1)[0]
    assert 'name="action" value="disable"' in row and 'value="enable"' not in row
