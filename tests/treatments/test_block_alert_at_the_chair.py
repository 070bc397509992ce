"""A dosing block raised while an infusion runs (a high-risk flag mid-session) is a critical
alert on that session at once: on the chair board, to be acknowledged, like any alert. A
session that is not giving drug gets none; another patient's session is untouched."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.treatments.block_alerts import CODE
from ketacare.treatments.models import SessionAlert, SessionStatus
from tests.conftest import make_patient
from tests.safety.crisis_helpers import high_flag
from tests.treatments.session_helpers import dosed, ready_session

pytestmark = pytest.mark.django_db


def test_a_high_flag_during_an_infusion_alerts_the_chair(world: Any, as_user: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    assert session.status == SessionStatus.DOSING

    high_flag(world.patient_a, nurse)

    alert = SessionAlert.objects.get(session=session, code=CODE)
    assert alert.level == "critical" and alert.acknowledged_at is None
    assert "Dosing is blocked" in alert.message and "pause or stop the infusion" in alert.message
    board = as_user(nurse).get("/chairs/live/").content.decode()
    assert "Dosing is blocked" in board


def test_no_alert_when_no_drug_is_being_given(world: Any) -> None:
    nurse = world.nurse_a
    ready_session(world.prescriber_a, nurse, world.patient_a)  # checked in, not dosing

    high_flag(world.patient_a, nurse)

    assert not SessionAlert.objects.filter(code=CODE).exists()


def test_another_patients_infusion_is_not_alerted(world: Any) -> None:
    nurse = world.nurse_a
    other = make_patient(world.clinic_a, given="Grace", family="Hopper")
    dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))

    high_flag(other, nurse)

    assert not SessionAlert.objects.filter(code=CODE).exists()
