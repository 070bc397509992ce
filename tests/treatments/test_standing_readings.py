"""The few readings `store_readings` loads give the same picture as every current reading."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.treatments.models import ReadingPhase, VitalReading
from ketacare.treatments.readings import standing_readings
from ketacare.treatments.state import current_readings, picture
from tests.treatments.session_helpers import dosed, ready_session

pytestmark = pytest.mark.django_db


def test_the_standing_readings_make_the_same_picture(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    start = timezone.now()  # after the pre-dose checks reading

    def add(minutes: int, **values: Any) -> VitalReading:
        return VitalReading.objects.create(
            session=session,
            phase=values.pop("phase", ReadingPhase.DURING),
            taken_at=start + timedelta(minutes=minutes),
            **values,
        )

    add(1, phase=ReadingPhase.PRE_DOSE, systolic_mmhg=150, diastolic_mmhg=95, moaas=5)
    add(2, moaas=3)
    add(3, systolic_mmhg=170, diastolic_mmhg=100, cadss6=4)
    wrong = add(4, systolic_mmhg=210, diastolic_mmhg=130)
    add(5, systolic_mmhg=160, diastolic_mmhg=90, corrects=wrong, correction_reason="cuff slipped")
    for minute in range(6, 40):
        add(minute, heart_rate_bpm=70 + minute)
    expected = picture(current_readings(session))
    got = picture(standing_readings(session))
    assert got == expected
    assert got.latest_bp is not None and got.latest_bp.systolic_mmhg == 160
    assert got.latest_moaas == 3 and got.latest_cadss6 == 4
    assert got.latest is not None and got.latest.heart_rate_bpm == 109
    assert len(standing_readings(session)) <= 5
