"""Infusion rate changes and pauses with reasons; side effects with severity and the
intervention given; both shown on the session page, refused when out of order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import AuditEntry
from ketacare.treatments import actions, infusion, side_effects
from ketacare.treatments.models import SessionAlert, SessionStatus
from ketacare.treatments.models_chair import InfusionEvent, SideEffect
from tests.treatments.session_helpers import actor, dosed, infused, ready_session

pytestmark = pytest.mark.django_db


def _iv(world: Any) -> Any:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    assert session.status == SessionStatus.DOSING
    return session


def test_rate_changes_and_pauses_are_recorded_in_order(world: Any) -> None:
    session = _iv(world)
    nurse = actor(world.nurse_a)
    infusion.do_infusion_event(nurse, session, "rate", "12.5", "BP settled, per protocol")
    infusion.do_infusion_event(nurse, session, "pause", None, "BP 184/100")
    assert infusion.is_paused(session)
    with pytest.raises(ActionError, match="already paused"):
        infusion.do_infusion_event(nurse, session, "pause", None, "again")
    with pytest.raises(ActionError, match="resume"):
        infusion.do_infusion_event(nurse, session, "rate", "10", "x")
    infusion.do_infusion_event(nurse, session, "resume", "8", "")
    lines = infusion.timeline(session)
    assert [(ln.kind, ln.rate) for ln in lines] == [
        ("rate", Decimal("12.50")),
        ("pause", Decimal("8.00")),
    ]
    assert lines[1].stop is not None and lines[1].reason == "BP 184/100"
    assert AuditEntry.objects.filter(action="treatments.session.infusion_pause").count() == 1


def test_infusion_changes_refuse_bad_input_and_wrong_state(world: Any) -> None:
    session = _iv(world)
    nurse = actor(world.nurse_a)
    for kind, rate, reason, field in (
        ("rate", "", "why", "rate_ml_per_h"),
        ("rate", "abc", "why", "rate_ml_per_h"),
        ("rate", "-4", "why", "rate_ml_per_h"),
        ("rate", "99999", "why", "rate_ml_per_h"),
        ("rate", "10", " ", "reason"),
        ("pause", "5", "why", "rate_ml_per_h"),
        ("stop", None, "why", "kind"),
    ):
        with pytest.raises(ActionError) as err:
            infusion.do_infusion_event(nurse, session, kind, rate, reason)
        assert err.value.field == field, (kind, rate, reason)
    with pytest.raises(ActionError, match="not paused"):
        infusion.do_infusion_event(nurse, session, "resume", None, "")
    actions.do_end_infusion(nurse, infused(session))
    with pytest.raises(ActionError, match="running"):
        infusion.do_infusion_event(nurse, session, "pause", None, "late")
    assert not InfusionEvent.objects.exists()


def test_esketamine_has_no_infusion_to_pause(world: Any) -> None:
    session = ready_session(
        world.prescriber_a, world.nurse_a, world.patient_a, route="esketamine_nasal"
    )
    session = dosed(world.nurse_a, session)
    with pytest.raises(ActionError, match="no infusion"):
        infusion.do_infusion_event(actor(world.nurse_a), session, "pause", None, "x")


def test_side_effects_with_intervention_and_serious_ones_raise_an_alert(world: Any) -> None:
    session = _iv(world)
    nurse = actor(world.nurse_a)
    mild = side_effects.do_record_side_effect(
        nurse,
        session,
        {
            "code": "nausea",
            "severity": "moderate",
            "intervention_drug": "Ondansetron",
            "intervention_dose": "4 mg ODT",
        },
    )
    assert mild.intervention_at is not None and mild.label == "Nausea"
    assert not SessionAlert.objects.filter(code="side_effect").exists()
    other = side_effects.do_record_side_effect(
        nurse, session, {"code": "other", "other_text": "Tingling lips", "severity": "mild"}
    )
    assert other.label == "Other: Tingling lips"
    side_effects.do_record_side_effect(
        nurse, session, {"code": "resp_depression", "severity": "mild", "note": "RR 9"}
    )
    alert = SessionAlert.objects.get(code="side_effect")
    assert alert.is_open and "Respiratory depression" in alert.message
    assert (
        AuditEntry.objects.filter(
            action="treatments.session.side_effect_recorded", patient_id=world.patient_a.pk
        ).count()
        == 3
    )


def test_side_effects_refuse_bad_input(world: Any) -> None:
    session = ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    nurse = actor(world.nurse_a)
    with pytest.raises(ActionError, match="dose has started"):
        side_effects.do_record_side_effect(nurse, session, {"code": "nausea", "severity": "mild"})
    session = dosed(world.nurse_a, session)
    future = timezone.now() + timedelta(hours=1)
    for data, field in (
        ({"code": "sneezing", "severity": "mild"}, "code"),
        ({"code": "other", "severity": "mild"}, "other_text"),
        ({"code": "nausea", "severity": "awful"}, "severity"),
        ({"code": "nausea", "severity": "mild", "intervention_dose": "4 mg"}, "intervention_drug"),
        (
            {"code": "nausea", "severity": "mild", "intervention_drug": "Ondansetron"},
            "intervention_dose",
        ),
        ({"code": "nausea", "severity": "mild", "onset_at": future}, "onset_at"),
        ({"code": "nausea", "severity": "mild", "onset_at": "soon"}, "onset_at"),
        (
            {"code": "nausea", "severity": "mild", "onset_at": timezone.now() - timedelta(days=1)},
            "onset_at",
        ),
    ):
        with pytest.raises(ActionError) as err:
            side_effects.do_record_side_effect(nurse, session, data)
        assert err.value.field == field, data
    assert not SideEffect.objects.exists()


def test_the_session_page_shows_and_records_both(world: Any, as_user: Any) -> None:
    session = _iv(world)
    url = f"/patients/{session.patient_id}/sessions/{session.pk}/"
    nurse = as_user(world.nurse_a)
    page = nurse.get(url).content.decode()
    assert 'data-testid="infusion-form"' in page and 'data-testid="side-effect-form"' in page
    bad = nurse.post(url + "infusion/", {"kind": "rate", "reason": "titrate"})
    assert bad.status_code == 400 and 'data-field="rate_ml_per_h"' in bad.content.decode()
    assert nurse.post(url + "infusion/", {"kind": "pause", "reason": "nausea"}).status_code == 302
    bad = nurse.post(url + "side-effects/", {"code": "other", "severity": "mild"})
    assert bad.status_code == 400 and 'data-field="other_text"' in bad.content.decode()
    assert (
        nurse.post(
            url + "side-effects/",
            {
                "code": "vomiting",
                "severity": "moderate",
                "intervention_drug": "Ondansetron",
                "intervention_dose": "4 mg IV",
            },
        ).status_code
        == 302
    )
    page = nurse.get(url).content.decode()
    assert 'data-testid="paused"' in page and "nausea" in page
    assert "Ondansetron 4 mg IV" in page
    therapist = as_user(world.therapist_a)
    assert therapist.post(url + "infusion/", {"kind": "resume"}).status_code == 403
    assert therapist.post(url + "side-effects/", {"code": "nausea"}).status_code == 403
