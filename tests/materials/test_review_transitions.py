"""A material's review and appeal move only through REVIEW_TRANSITIONS and APPEAL_TRANSITIONS: every
(status, action) the tables do not list is refused by its service and changes nothing."""

import itertools

import pytest
from django.core.exceptions import ValidationError

from console.models import AuditEvent
from materials import operators, review, services
from materials.models import (
    APPEAL_TRANSITIONS,
    REVIEW_TRANSITIONS,
    AppealAction,
    Material,
    MaterialStatus,
    ReviewAction,
    ReviewStage,
)

pytestmark = pytest.mark.django_db

STAGES = ReviewStage.values
DECISIONS = {"approve": True, "reject": False}


def _decision_allowed(status: int, stage: str, decision: str) -> bool:
    table = APPEAL_TRANSITIONS if status == MaterialStatus.APPEALING else REVIEW_TRANSITIONS
    return stage == ReviewStage.OPERATOR and table.allows(status, decision)


FORBIDDEN_DECISIONS = [(status, stage, decision) for status, stage, decision
                       in itertools.product(MaterialStatus.values, STAGES, DECISIONS)
                       if not _decision_allowed(status, stage, decision)]
FORBIDDEN_MACHINE = [(status, stage) for status, stage in itertools.product(MaterialStatus.values, STAGES)
                     if not (stage == ReviewStage.MACHINE
                             and REVIEW_TRANSITIONS.allows(status, ReviewAction.MACHINE_PASS))]
FORBIDDEN_APPEALS = [status for status in MaterialStatus.values
                     if not APPEAL_TRANSITIONS.allows(status, AppealAction.APPEAL)]


def _put(material: Material, status: int, stage: str) -> Material:
    Material.objects.filter(id=material.id).update(status=status, review_stage=stage)
    material.refresh_from_db()
    return material


def _unchanged(material: Material, status: int, stage: str) -> None:
    current = Material.objects.get(id=material.id)
    assert (current.status, current.review_stage) == (status, stage)
    assert not AuditEvent.objects.filter(target_type="material", target_id=material.model_id,
                                         action__in=["material.review.manual", "material.review.appeal",
                                                     "material.review.machine", "material.appeal"]).exists()


@pytest.mark.parametrize(("status", "stage", "decision"), FORBIDDEN_DECISIONS)
def test_an_operator_decision_the_tables_do_not_list_is_refused(alice, make_material, operator, status, stage,
                                                                  decision):
    material = _put(make_material(alice, review=False), status, stage)
    with pytest.raises(operators.DecisionConflict):
        operators.material_decide(material_id=material.id, actor=operator, approve=DECISIONS[decision],
                                  reason="检查")
    _unchanged(material, status, stage)


@pytest.mark.parametrize(("status", "stage"), FORBIDDEN_MACHINE)
def test_the_machine_writes_nothing_where_the_table_gives_it_no_action(alice, make_material, status, stage):
    material = _put(make_material(alice, review=False), status, stage)
    review.material_review_run(material_id=material.id)
    _unchanged(material, status, stage)


@pytest.mark.parametrize("status", FORBIDDEN_APPEALS)
def test_an_appeal_the_table_does_not_list_is_refused(alice, make_material, status):
    material = _put(make_material(alice, review=False), status, ReviewStage.DONE)
    with pytest.raises(ValidationError):
        services.material_appeal(account=alice.account, material=material, actor=alice.owner.user, text="请复核")
    _unchanged(material, status, ReviewStage.DONE)


def test_the_tables_say_what_docs_state_machines_says():
    assert REVIEW_TRANSITIONS.edges() == {
        (0, "machine_pass"): 21, (0, "machine_fail"): 22, (0, "machine_flag"): 0, (0, "approve"): 1, (0, "reject"): 2,
        (21, "recheck"): 0, (1, "recheck"): 0, (11, "recheck"): 0,
        (0, "preprocess_pass"): 31, (0, "preprocess_fail"): 32, (0, "role_absent"): 33,
        (31, "machine_pass"): 21, (31, "machine_fail"): 22, (31, "machine_flag"): 31, (31, "approve"): 1,
        (31, "reject"): 2}
    assert APPEAL_TRANSITIONS.edges() == {(22, "appeal"): 3, (2, "appeal"): 3, (3, "approve"): 11, (3, "reject"): 12}
