"""The sheets a patient takes home or the clinic sends on (discharge instructions, REMS
monitoring form) never print the staff risk-flag banner, which names other patients and their
flags."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

import ketacare
from ketacare.treatments import actions
from ketacare.treatments.models import TreatmentSession
from tests.conftest import make_patient
from tests.safety.helpers import raise_flag
from tests.treatments.session_helpers import NORMAL, actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db

STATIC = Path(ketacare.__file__).parent / "core" / "static" / "ketacare"


def _discharged(world: Any) -> TreatmentSession:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    session = actions.do_end_infusion(actor(world.nurse_a), infused(session))
    TreatmentSession.objects.filter(pk=session.pk).update(
        observation_started_at=timezone.now() - timedelta(minutes=125)
    )
    session.refresh_from_db()
    actions.do_record_vitals(actor(world.nurse_a), session, NORMAL)
    session.refresh_from_db()
    return actions.do_discharge(
        actor(world.nurse_a), session, escort_confirmed=True, escort_name="C. Babbage"
    )


def _print_hides(css_file: str, selector: str) -> bool:
    css = (STATIC / css_file).read_text()
    block = css[css.index("@media print") :]
    rule = block[: block.index("{", block.index("{") + 1)]
    return selector in re.split(r"[\s,{]+", rule)


def test_the_discharge_sheet_does_not_print_another_patients_risk_flag(
    world: Any, as_user: Any
) -> None:
    session = _discharged(world)
    other = make_patient(world.clinic_a, "Charles", "Darwin")
    raise_flag(other, level="high")
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/discharge-sheet/"
    body = as_user(world.nurse_a).get(url).content.decode()
    banner = re.search(r'<section class="([^"]*)"[^>]*data-testid="risk-banner"', body)
    assert banner is not None and "Darwin" in body  # still on screen for the nurse
    assert "no-print" in banner.group(1).split()
    assert _print_hides("discharge_sheet.css", ".no-print")
    assert _print_hides("rems.css", ".no-print")
