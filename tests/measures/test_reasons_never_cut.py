"""A reason typed for a change is stored whole or refused, never cut short without a word
(the actions cut entered-in-error reasons at 300 characters and settings reasons at 2000)."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Actor
from ketacare.measures.actions import do_mark_entered_in_error, do_record_assessment
from ketacare.measures.models import Assessment, AssessmentStatus
from ketacare.measures.response_settings import do_set_response_rules
from ketacare.measures.thresholds_settings import do_set_scoring_thresholds
from tests.conftest import SYSTEM

pytestmark = pytest.mark.django_db


def _admin(world: Any) -> Actor:
    return Actor(user_id=world.admin_a.pk, label="admin", clinic_id=world.clinic_a.pk)


def test_an_entered_in_error_reason_over_300_characters_is_refused(world: Any) -> None:
    answers = {f"phq9-{i}": 1 for i in range(1, 10)} | {"phq9-9": 0}
    assessment = do_record_assessment(SYSTEM, world.patient_a, "phq9", answers)
    with pytest.raises(ActionError) as err:
        do_mark_entered_in_error(SYSTEM, assessment, "wrong patient " * 30)
    assert err.value.field == "reason" and "300" in err.value.message
    assert Assessment.objects.get(pk=assessment.pk).status != AssessmentStatus.ENTERED_IN_ERROR
    do_mark_entered_in_error(SYSTEM, assessment, "Entered on the wrong patient's chart.")
    assert Assessment.objects.get(pk=assessment.pk).error_reason == (
        "Entered on the wrong patient's chart."
    )


def test_a_settings_reason_over_2000_characters_is_refused(world: Any) -> None:
    long = "esketamine programme " * 100  # 2,100 characters
    with pytest.raises(ActionError) as err:
        do_set_response_rules(_admin(world), world.clinic_a, {"remission.madrs": 12}, long)
    assert err.value.field == "reason"
    with pytest.raises(ActionError) as err:
        do_set_scoring_thresholds(_admin(world), world.clinic_a, {"pcl5_cutoff": 31}, long)
    assert err.value.field == "reason"
    row = do_set_response_rules(
        _admin(world), world.clinic_a, {"remission.madrs": 12}, long[:1990].strip()
    )
    assert row.reason == long[:1990].strip()
