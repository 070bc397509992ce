"""Nurse review: what a nurse types at the chair is stored as typed or refused naming the field.

- The dose form's concentration and dose: a slip (µg for mg, an extra zero) was a 500 on
  PostgreSQL (numeric overflow) and a finer figure than the record keeps was silently rounded
  to a strength or dose nobody typed.
- A critical alert dismissed "Reviewed: no action needed" says why.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from ketacare.accounts.actions import ActionError
from ketacare.treatments import actions
from ketacare.treatments.models import DoseRecord, SessionAlert, TreatmentSession
from tests.treatments.session_helpers import (
    NORMAL,
    actor,
    checks_ok,
    dosed,
    ready_session,
)

pytestmark = pytest.mark.django_db


def _checked(world: Any) -> TreatmentSession:
    nurse = world.nurse_a
    return checks_ok(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))


def _dose(world: Any, session: TreatmentSession, **extra: Any) -> None:
    calc = actions.session_dose(session)
    data = {"lot_number": "LOT-1", "expiry": date(2099, 1, 1), "given_mg": calc.dose_mg}
    actions.do_start_dose(actor(world.prescriber_a), session, {**data, **extra})


@pytest.mark.parametrize(
    ("typed", "words"),
    [("123456789", "is not possible"), ("50000", "is not possible"), ("10.0005", "three decimals")],
)
def test_an_impossible_concentration_is_refused_naming_the_field(
    world: Any, typed: str, words: str
) -> None:
    session = _checked(world)
    with pytest.raises(ActionError) as refused:
        _dose(world, session, concentration_mg_per_ml=typed)
    assert refused.value.field == "concentration_mg_per_ml"
    assert words in refused.value.message
    assert not DoseRecord.objects.filter(session=session).exists()


def test_a_usual_concentration_is_stored_as_typed(world: Any) -> None:
    session = _checked(world)
    _dose(world, session, concentration_mg_per_ml="50.125")
    assert DoseRecord.objects.get(session=session).concentration_mg_per_ml == Decimal("50.125")


@pytest.mark.parametrize(
    ("typed", "words"),
    [("1000000", "not a possible ketamine dose"), ("35.555", "two decimals")],
)
def test_an_impossible_dose_is_refused_naming_the_field(world: Any, typed: str, words: str) -> None:
    """A prescriber may give above the plan with a reason; not a number the record cannot
    hold, and not one it would round."""
    session = _checked(world)
    with pytest.raises(ActionError) as refused:
        _dose(world, session, given_mg=typed, deviation_reason="prescriber decision after review")
    assert refused.value.field == "given_mg"
    assert words in refused.value.message


def test_the_dose_page_refuses_a_huge_concentration_without_a_server_error(
    world: Any, as_user: Any
) -> None:
    session = _checked(world)
    calc = actions.session_dose(session)
    page = as_user(world.nurse_a).post(
        f"/patients/{session.patient_id}/sessions/{session.pk}/dose/",
        {
            "lot_number": "LOT-1",
            "expiry": "2099-01-01",
            "given_mg": str(calc.dose_mg),
            "concentration_mg_per_ml": "500000",
        },
    )
    assert page.status_code == 400
    assert "500000 mg/mL is not possible" in page.content.decode()


def test_stopping_an_infusion_refuses_an_amount_finer_than_the_record(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    with pytest.raises(ActionError) as refused:
        actions.do_stop_session(actor(nurse), session, "patient asked to stop now", "12.345")
    assert refused.value.field == "given_mg"
    assert "two decimals" in refused.value.message
    stopped = actions.do_stop_session(actor(nurse), session, "patient asked to stop now", "12.34")
    assert DoseRecord.objects.get(session=stopped).given_mg == Decimal("12.34")


def _critical(world: Any) -> tuple[TreatmentSession, SessionAlert]:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    actions.do_record_vitals(actor(nurse), session, {**NORMAL, "spo2_pct": 84})
    alert = SessionAlert.objects.get(session=session, code="spo2_low")
    assert alert.level == "critical"
    return session, alert


def test_a_critical_alert_dismissed_without_action_needs_the_reason(world: Any) -> None:
    session, alert = _critical(world)
    for note in ("", "ok"):
        with pytest.raises(ActionError) as refused:
            actions.do_acknowledge_alert(
                actor(world.nurse_a), session, alert.pk, "none_needed", note
            )
        assert refused.value.field == "note"
    assert SessionAlert.objects.get(pk=alert.pk).is_open
    done = actions.do_acknowledge_alert(
        actor(world.nurse_a), session, alert.pk, "none_needed", "probe off the finger, 97 % now"
    )
    assert done.note == "probe off the finger, 97 % now"


def test_a_critical_alert_with_an_action_needs_no_note(world: Any) -> None:
    session, alert = _critical(world)
    done = actions.do_acknowledge_alert(actor(world.nurse_a), session, alert.pk, "treat")
    assert not done.is_open


def test_a_warning_dismissed_without_action_needs_no_note(world: Any) -> None:
    nurse = world.nurse_a
    session = dosed(nurse, ready_session(world.prescriber_a, nurse, world.patient_a))
    actions.do_record_vitals(actor(nurse), session, {**NORMAL, "heart_rate_bpm": 125})
    alert = SessionAlert.objects.get(session=session, code="hr_out_of_range")
    done = actions.do_acknowledge_alert(actor(nurse), session, alert.pk, "none_needed")
    assert not done.is_open


def test_the_page_shows_the_missing_reason_under_the_note(world: Any, as_user: Any) -> None:
    session, alert = _critical(world)
    page = as_user(world.nurse_a).post(
        f"/patients/{session.patient_id}/sessions/{session.pk}/alerts/{alert.pk}/",
        {"action": "none_needed", "note": ""},
    )
    assert page.status_code == 400
    html = page.content.decode()
    assert "say why in the note" in html
    assert f"id_alert{alert.pk}_note_error" in html  # under the note field, on this alert
