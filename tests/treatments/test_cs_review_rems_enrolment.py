"""Review of the REMS Patient Monitoring Form (clinical.md §6d, §2c): "enrolled in the REMS?"
answers for the treatment date; an enrolment dated after the treatment is not a "Yes"."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from ketacare.evaluations.models import RemsEnrollment
from ketacare.treatments import rems_actions
from ketacare.treatments.rems_form import build_form, treatment_date
from tests.treatments.session_helpers import actor
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_an_enrolment_dated_after_the_treatment_is_checked_not_filed_as_yes(
    world: Any,
) -> None:
    session = run_esketamine(world)
    day = treatment_date(session)
    RemsEnrollment.objects.filter(patient=world.patient_a).update(enrolled_on=day)
    assert build_form(session).by_code()["rems_enrolled"].value == "Yes"  # the same day
    RemsEnrollment.objects.filter(patient=world.patient_a).update(
        enrolled_on=day + timedelta(days=3)
    )
    field = build_form(session).by_code()["rems_enrolled"]
    assert field.value is None and field.editable
    assert "after this treatment" in field.source
    # Staff answer it (after checking) before the form can be submitted.
    rems_actions.do_save_rems_entries(actor(world.nurse_a), session, {"rems_enrolled": "yes"})
    assert build_form(session).by_code()["rems_enrolled"].value == "Yes"
