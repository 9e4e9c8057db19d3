"""Service activation (开通服务): the gate on member pages, the agreement, the free pack, the API."""

from django.test import Client
from django.utils import timezone

from console.models import Account, AuditEvent
from console.services import member_create
from tests.api.conftest import error_code, make_key, signed_post
from tests.conftest import PASSWORD, login
from tests.selfservice.conftest import owner_of, signup


def _new_account(*, verified: bool = True) -> Account:
    account = signup()
    if verified:
        Account.objects.filter(id=account.id).update(email_verified_at=timezone.now())
        account.refresh_from_db()
    return account


def test_member_pages_send_a_not_activated_account_to_activation(db):
    client = login(owner_of(_new_account()))
    for url in ("/overview/", "/access/?tab=keys"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"] == "/activate/"
    page = client.get("/activate/").content.decode()
    for text in ("1,000", "本图片为AI合成图片", "GB 45438-2025", "免费资源包", "后付费"):
        assert text in page, text


def test_it_refuses_activation_before_the_email_is_verified(db):
    account = _new_account(verified=False)
    resp = login(owner_of(account)).post("/activate/", {"accept": "on"})
    assert resp.status_code == 200 and "验证" in resp.content.decode()
    assert Account.objects.get(id=account.id).service_status == "not_opened"


def test_it_refuses_activation_without_accepting_the_agreement(db):
    account = _new_account()
    resp = login(owner_of(account)).post("/activate/", {})
    assert resp.status_code == 200 and "服务协议" in resp.content.decode()
    assert Account.objects.get(id=account.id).service_status == "not_opened"


def test_it_activates_grants_the_free_pack_and_opens_the_console(db):
    from billing.models import Pack

    account = _new_account()
    client = login(owner_of(account))
    resp = client.post("/activate/", {"accept": "on"})
    assert resp.status_code == 302
    account.refresh_from_db()
    assert account.service_status == "opened" and account.service_opened_at is not None
    pack = Pack.objects.get(account=account, kind="free")
    assert pack.calls_total == 1000 and pack.remaining == 1000
    steps = list(AuditEvent.objects.filter(account=account, action="account.service")
                 .order_by("id").values_list("from_state", "to_state"))
    assert steps == [("not_opened", "opened")]
    assert client.get("/overview/").status_code == 200
    assert 'data-testid="service-opened"' in client.get("/activate/").content.decode()
    # A second attempt changes nothing and says why.
    again = client.post("/activate/", {"accept": "on"})
    assert again.status_code == 200 and Pack.objects.filter(account=account).count() == 1


def test_only_the_owner_activates(db):
    account = _new_account()
    owner = owner_of(account)
    admin = member_create(account=account, by=owner, username="new-admin", password=PASSWORD, role="admin")
    client = login(admin)
    assert client.get("/activate/").status_code == 200
    assert client.post("/activate/", {"accept": "on"}).status_code == 403
    assert Account.objects.get(id=account.id).service_status == "not_opened"


def test_the_api_answers_not_exist_until_activation_and_meters_nothing(db, faces_dir, settings):
    import base64
    import types

    from billing.models import UsageRecord
    from fusion.models import FusionJob
    from tests.api.conftest import approved_material

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.FUSION_JOB_DEADLINE_SECONDS = 2  # should the gate ever open early, do not wait 20 s for a worker
    account = _new_account()
    owner = owner_of(account)
    key = make_key(owner)
    # A FuseFace that would be billed if it went through: the account's own usable material, a real photo.
    material = approved_material(types.SimpleNamespace(account=account, owner=owner),
                                 faces_dir / "astronaut_collins.png")
    fuse = {"ProjectId": material.campaign.project_id, "ModelId": material.model_id, "RspImgType": "base64",
            "MergeInfos": [{"Image": base64.b64encode((faces_dir / "obama.jpg").read_bytes()).decode()}]}
    resp = signed_post(Client(), key, "DescribeMaterialList", {"ActivityId": "at_missing"})
    assert error_code(resp) == "ResourceUnavailable.NotExist"
    assert error_code(signed_post(Client(), key, "FuseFace", fuse)) == "ResourceUnavailable.NotExist"
    records = UsageRecord.objects.filter(account=account)
    assert records.count() == 2 and not records.filter(billable=True).exists()
    assert not FusionJob.objects.exists()
    login(owner).post("/activate/", {"accept": "on"})
    resp = signed_post(Client(), key, "DescribeMaterialList", {"ActivityId": "at_missing"})
    assert error_code(resp) == "InvalidParameterValue.ActivityIdNotFound"


def test_existing_accounts_are_not_gated(alice):
    assert login(alice.owner).get("/overview/").status_code == 200
    assert 'data-testid="service-opened"' in login(alice.viewer).get("/activate/").content.decode()


def test_anonymous_visitors_are_sent_to_sign_in(db):
    resp = Client().get("/activate/")
    assert resp.status_code == 302 and resp["Location"].startswith("/login/")
