"""API key status moves only through CREDENTIAL_TRANSITIONS: each allowed (status, action) reaches
the table's state with an audit row; every other pair is refused and changes nothing."""

import itertools

import pytest
from django.urls import reverse

from console.models import CREDENTIAL_TRANSITIONS, ApiCredential, AuditEvent, CredentialAction, CredentialStatus
from console.services import credential_create, credential_transition
from console.transitions import TransitionRefused
from tests.conftest import login

pytestmark = pytest.mark.django_db

ALL_PAIRS = list(itertools.product(CredentialStatus.values, [*CredentialAction.values, "rotate"]))
ALLOWED = [pair for pair in ALL_PAIRS if CREDENTIAL_TRANSITIONS.allows(*pair)]
FORBIDDEN = [pair for pair in ALL_PAIRS if not CREDENTIAL_TRANSITIONS.allows(*pair)]


def _key_in(alice, status: str) -> ApiCredential:
    key = credential_create(member=alice.owner).credential
    ApiCredential.objects.filter(id=key.id).update(status=status)
    key.refresh_from_db()
    return key


@pytest.mark.parametrize(("status", "action"), ALLOWED)
def test_it_moves_an_allowed_pair_to_the_tables_state_with_an_audit_row(alice, status, action):
    key = _key_in(alice, status)
    credential_transition(credential=key, by=alice.owner, action=action)
    expected = CREDENTIAL_TRANSITIONS.target(status, action)
    assert ApiCredential.objects.get(id=key.id).status == expected
    event = AuditEvent.objects.get(action="credential.status", target_id=key.secret_id)
    assert (event.from_state, event.to_state) == (status, expected)


@pytest.mark.parametrize(("status", "action"), FORBIDDEN)
def test_it_refuses_a_forbidden_pair_and_changes_nothing(alice, status, action):
    key = _key_in(alice, status)
    with pytest.raises(TransitionRefused):
        credential_transition(credential=key, by=alice.owner, action=action)
    assert ApiCredential.objects.get(id=key.id).status == status
    assert not AuditEvent.objects.filter(action="credential.status", target_id=key.secret_id).exists()


def test_the_keys_tab_offers_only_the_action_the_table_allows(alice):
    key = _key_in(alice, CredentialStatus.DISABLED)
    body = login(alice.owner).get(reverse("console:access") + "?tab=keys").content.decode()
    row = body.split(key.secret_id, 1)[1].split("</tr>", 1)[0]
    assert 'name="action" value="enable"' in row and 'value="disable"' not in row
