"""The API half of ``seed_demo --json``: a fresh demo key and the ids a client needs to call FuseFace.

SecretKeys are shown once and kept only encrypted, so a key printed earlier cannot be printed
again: every ``--json`` run creates a new key for the demo owner. The cloud's (and our) limit is
two keys per login, so when the owner already holds two, the oldest key that seed_demo created —
or else the oldest disabled one — is deleted first. Keys the owner created and still uses are
never touched: with two of those the command stops and says so.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import CommandError

from console.models import ApiCredential, CredentialAction, CredentialStatus, Member
from console.selectors import credential_list
from console.services import MAX_CREDENTIALS_PER_MEMBER, credential_create, credential_delete, credential_transition

DEMO_KEY_DESCRIPTION = "seed_demo"


def _make_room(owner: Member) -> None:
    keys = list(credential_list(account=owner.account, member=owner).order_by("created_at", "id"))
    if len(keys) < MAX_CREDENTIALS_PER_MEMBER:
        return
    victim: ApiCredential | None = next((k for k in keys if k.description == DEMO_KEY_DESCRIPTION), None)
    victim = victim or next((k for k in keys if k.status == CredentialStatus.DISABLED), None)
    if victim is None:
        raise CommandError("The demo owner already holds two API keys in use; disable one on the Access page "
                           "and run seed_demo --json again.")
    if victim.status != CredentialStatus.DISABLED:
        credential_transition(credential=victim, by=owner, action=CredentialAction.DISABLE)
    credential_delete(credential=victim, by=owner)


def demo_api_json(*, owner: Member, material, video_material=None) -> dict:
    for m in filter(None, (material, video_material)):
        if not m.is_usable:
            raise CommandError(f"The demo material {m.model_id} is not approved (status {m.status}).")
    _make_room(owner)
    new = credential_create(member=owner, description=DEMO_KEY_DESCRIPTION)
    return {
        "AppId": owner.account.app_id,
        "SecretId": new.credential.secret_id,
        "SecretKey": new.secret_key,
        "ProjectId": material.campaign.project_id,
        "ModelId": material.model_id,
        "Endpoint": settings.PUBLIC_BASE_URL,
        **({"Video": {"ProjectId": video_material.campaign.project_id, "ModelId": video_material.model_id}}
           if video_material is not None else {}),
    }
