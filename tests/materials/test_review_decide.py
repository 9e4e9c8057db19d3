"""Operators' decisions on the queue (0 → 1 / 2, 3 → 11 / 12), through the service and the page."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from console.models import AuditEvent
from materials import operators, services
from materials.models import Material, MaterialStatus, ReviewStage
from materials.selectors import material_is_usable, review_queue
from tests.conftest import login
from tests.materials.conftest import fit, scan_pdf, side_face


@pytest.fixture
def flagged(alice, make_material):
    material = make_material(alice, side_face())
    assert material.status == MaterialStatus.REVIEWING and material.review_stage == ReviewStage.OPERATOR
    return material


@pytest.mark.django_db
def test_an_operator_approves_a_flagged_material(flagged, operator):
    material = operators.material_decide(material_id=flagged.id, actor=operator, approve=True)
    assert material.status == MaterialStatus.MANUAL_PASSED and material_is_usable(material)
    assert not review_queue().filter(id=flagged.id).exists()
    event = AuditEvent.objects.get(target_id=flagged.model_id, action="material.review.manual")
    assert (event.actor, event.from_state, event.to_state) == (operator, "0", "1")


@pytest.mark.django_db
def test_an_operator_rejects_with_a_reason_the_customer_reads(flagged, operator):
    with pytest.raises(ValidationError) as exc:
        operators.material_decide(material_id=flagged.id, actor=operator, approve=False, reason="")
    assert exc.value.code == "reason"
    material = operators.material_decide(material_id=flagged.id, actor=operator, approve=False, reason="侧脸过大")
    assert (material.status, material.audit_result) == (MaterialStatus.MANUAL_FAILED, "侧脸过大")


@pytest.mark.django_db
def test_deciding_an_already_decided_item_is_refused(flagged, operator):
    operators.material_decide(material_id=flagged.id, actor=operator, approve=True)
    with pytest.raises(operators.DecisionConflict):
        operators.material_decide(material_id=flagged.id, actor=operator, approve=False, reason="x")
    assert Material.objects.get(id=flagged.id).status == MaterialStatus.MANUAL_PASSED


@pytest.mark.django_db
def test_a_machine_decided_material_is_not_an_operators_to_decide(alice, make_material, operator):
    passed = make_material(alice, fit("obama.jpg"))
    with pytest.raises(operators.DecisionConflict):
        operators.material_decide(material_id=passed.id, actor=operator, approve=False, reason="x")
    pending = make_material(alice, fit("biden.jpg"), review=False, campaign=passed.campaign)
    with pytest.raises(operators.DecisionConflict):
        operators.material_decide(material_id=pending.id, actor=operator, approve=True)


@pytest.mark.django_db
def test_a_rights_flag_needs_a_copyright_proof_before_approval(alice, bob, make_material, operator):
    make_material(alice, fit("biden.jpg"))
    copy = make_material(bob, fit("biden.jpg", side=700))
    assert copy.review_flags == ["duplicate"]
    with pytest.raises(ValidationError) as exc:
        operators.material_decide(material_id=copy.id, actor=operator, approve=True)
    assert exc.value.code == "proof"
    services.proof_create(account=bob.account, material=copy, actor=bob.owner.user, data=scan_pdf(),
                          filename="proof.pdf")
    assert operators.material_decide(material_id=copy.id, actor=operator, approve=True).status == 1


@pytest.mark.django_db(transaction=True)
def test_two_operators_deciding_at_once_exactly_one_wins(alice, make_material, operator):
    from console.services import operator_create
    from tests.conftest import PASSWORD

    assert connection.vendor == "postgresql"  # real concurrent transactions, not SQLite's single writer

    other = operator_create(username="ops-2", password=PASSWORD)
    material = make_material(alice, side_face())
    barrier = threading.Barrier(2)
    outcomes = []
    winners = []

    def decide(actor, approve):
        try:
            barrier.wait()
            operators.material_decide(material_id=material.id, actor=actor, approve=approve, reason="看过了",
                                     expected_status=0)
            outcomes.append("won")
            winners.append((actor, approve))
        except operators.DecisionConflict:
            outcomes.append("told")
        finally:
            connection.close()

    threads = [threading.Thread(target=decide, args=(operator, True)),
               threading.Thread(target=decide, args=(other, False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not any(t.is_alive() for t in threads)
    assert sorted(outcomes) == ["told", "won"]
    # What is stored is the winner's decision, recorded once, under the winner's name.
    [(actor, approve)] = winners
    material.refresh_from_db()
    assert material.status == (MaterialStatus.MANUAL_PASSED if approve else MaterialStatus.MANUAL_FAILED)
    event = AuditEvent.objects.get(target_id=material.model_id, action="material.review.manual")
    assert (event.actor, event.to_state) == (actor, str(material.status))


@pytest.mark.django_db
def test_the_queue_lists_flagged_uploads_and_appeals_oldest_first(alice, bob, make_material, operator, flagged):
    refused = make_material(bob, fit("cruz.jpg"), review=False)
    Material.objects.filter(id=refused.id).update(status=MaterialStatus.MACHINE_FAILED,
                                                  review_stage=ReviewStage.DONE)
    refused.refresh_from_db()
    services.material_appeal(account=bob.account, material=refused, actor=bob.owner.user, text="这是我们的原创海报")
    body = login(operator).get(reverse("materials:review_queue")).content.decode()
    assert body.index(flagged.model_id) < body.index(refused.model_id)
    assert "这是我们的原创海报" in body and "Alice 科技" in body and "Bob 传媒" in body
    assert 'data-face-id="face_0"' in body


@pytest.mark.django_db
def test_the_queue_page_is_for_operators_only(alice):
    assert login(alice.owner).get(reverse("materials:review_queue")).status_code == 403


@pytest.mark.django_db
def test_the_page_decision_moves_on_and_reports_a_conflict(flagged, operator, alice, make_material):
    client = login(operator)
    url = reverse("materials:review_decide", args=[flagged.model_id])
    response = client.post(url, {"decision": "approve", "expected_status": 0, "next": "mt_next"})
    assert response.status_code == 302 and response["Location"].endswith("?focus=mt_next")
    assert Material.objects.get(id=flagged.id).status == MaterialStatus.MANUAL_PASSED
    audit_before = AuditEvent.objects.filter(target_id=flagged.model_id).count()
    response = client.post(url, {"decision": "reject", "reason": "x", "expected_status": 0}, follow=True)
    # The second operator is told that nothing changed (zh-hans, the default language).
    assert "该条目已被处理" in response.content.decode() and "未做任何修改" in response.content.decode()
    assert AuditEvent.objects.filter(target_id=flagged.model_id).count() == audit_before
    assert Material.objects.get(id=flagged.id).status == MaterialStatus.MANUAL_PASSED


@pytest.mark.django_db
def test_the_page_uses_a_reason_template(flagged, operator):
    operators.reason_template_create(actor=operator, text="人物肖像权存疑")
    login(operator).post(reverse("materials:review_decide", args=[flagged.model_id]),
                         {"decision": "reject", "template": "人物肖像权存疑", "expected_status": 0})
    material = Material.objects.get(id=flagged.id)
    assert (material.status, material.audit_result) == (MaterialStatus.MANUAL_FAILED, "人物肖像权存疑")


@pytest.mark.django_db
def test_the_material_page_shows_the_decision_in_its_history(flagged, operator, alice):
    operators.material_decide(material_id=flagged.id, actor=operator, approve=False, reason="请上传正脸")
    body = login(alice.viewer).get(reverse("materials:detail", args=[flagged.model_id])).content.decode()
    assert "material.review.manual" in body and "ops-1" in body and "请上传正脸" in body


@pytest.mark.django_db
@pytest.mark.parametrize("decision,expected", [("approve", MaterialStatus.APPEAL_PASSED),
                                               ("reject", MaterialStatus.APPEAL_FAILED)])
def test_the_page_decides_an_appeal(alice, make_material, operator, decision, expected):
    from tests.materials.conftest import landscape

    refused = make_material(alice, landscape())
    services.material_appeal(account=alice.account, material=refused, actor=alice.owner.user, text="请复核")
    login(operator).post(reverse("materials:review_decide", args=[refused.model_id]),
                         {"decision": decision, "reason": "已复核", "expected_status": 3})
    refused.refresh_from_db()
    assert refused.status == expected
    assert AuditEvent.objects.filter(target_id=refused.model_id, action="material.review.appeal").count() == 1


@pytest.mark.django_db
def test_it_mails_the_account_the_decision_and_then_the_appeal_decision(flagged, operator, alice, mailoutbox,
                                                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        operators.material_decide(material_id=flagged.id, actor=operator, approve=False, reason="侧脸过大")
    assert len(mailoutbox) == 1 and "侧脸过大" in mailoutbox[0].body
    material = services.material_appeal(account=alice.account, material=Material.objects.get(id=flagged.id),
                                        actor=alice.owner.user, text="这是我们自己的模特")
    with django_capture_on_commit_callbacks(execute=True):
        operators.material_decide(material_id=material.id, actor=operator, approve=True)
    assert len(mailoutbox) == 2 and mailoutbox[1].subject != mailoutbox[0].subject
    assert all("alice@example.com" in m.to for m in mailoutbox)
