"""An integration note whose risk answer rises on a later edit raises the higher flag (crisis
record, dosing block, the high escalation); lowering it never removes or lowers a flag."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.aftercare.models import IntegrationNote
from ketacare.safety.crisis_models import CrisisRecord
from ketacare.safety.dosing_block import dosing_block_reasons
from ketacare.safety.models import FlagStatus, RiskFlag
from tests.aftercare.helpers import note_form

pytestmark = pytest.mark.django_db


def _base(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/aftercare/integration/"


def _levels(world: Any) -> list[str]:
    return list(
        RiskFlag.objects.filter(patient=world.patient_a)
        .order_by("pk")
        .values_list("level", flat=True)
    )


def _write(world: Any, client: Any, **changes: Any) -> IntegrationNote:
    response = client.post(_base(world) + "new/", note_form(**changes))
    assert response.status_code == 302, response.content.decode()[:500]
    return IntegrationNote.objects.get()


def test_concern_edited_to_urgent_raises_the_high_flag_and_keeps_the_moderate_one(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.therapist_a)
    note = _write(world, client, risk="concern", risk_note="Passive thoughts this week")
    moderate = RiskFlag.objects.get(patient=world.patient_a)
    assert moderate.level == "moderate" and note.risk_flag == moderate
    assert not CrisisRecord.objects.filter(patient=world.patient_a).exists()

    response = client.post(
        f"{_base(world)}{note.pk}/", note_form(risk="urgent", risk_note="Has a plan for tonight")
    )
    assert response.status_code == 302
    assert _levels(world) == ["moderate", "high"]
    high = RiskFlag.objects.get(patient=world.patient_a, level="high")
    assert high.requires_cssrs and "Has a plan for tonight" in high.reason
    note.refresh_from_db()
    assert note.risk_flag == high  # the note links to its newest, highest flag
    moderate.refresh_from_db()
    assert moderate.status == FlagStatus.OPEN  # the earlier flag is not lost
    # What a high flag brings: the crisis record, today's dosing block, the 15-minute step.
    assert CrisisRecord.objects.filter(patient=world.patient_a, flag=high).exists()
    assert dosing_block_reasons(world.patient_a)
    due = high.escalation.due_at - high.raised_at
    assert timedelta(minutes=14) <= due <= timedelta(minutes=16)
    raised = AuditEntry.objects.filter(action="safety.flag.raised", object_id=str(high.pk))
    assert raised.exists()


def test_saving_the_same_risk_again_raises_nothing_more(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    note = _write(world, client, risk="concern", risk_note="Passive thoughts")
    client.post(f"{_base(world)}{note.pk}/", note_form(risk="concern", risk_note="Still passive"))
    assert _levels(world) == ["moderate"]


def test_lowering_the_risk_never_removes_or_lowers_a_flag(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    note = _write(world, client, risk="urgent", risk_note="Plan disclosed")
    high = RiskFlag.objects.get(patient=world.patient_a)
    for lower in ("concern", "none"):
        response = client.post(
            f"{_base(world)}{note.pk}/", note_form(risk=lower, risk_note="Calmer at the end")
        )
        assert response.status_code == 302
        assert _levels(world) == ["high"]
        high.refresh_from_db()
        assert high.status == FlagStatus.OPEN
        note.refresh_from_db()
        assert note.risk == lower and note.risk_flag == high
    # Back up to urgent: the high flag already stands for this note, so nothing new.
    client.post(f"{_base(world)}{note.pk}/", note_form(risk="urgent", risk_note="Plan again"))
    assert _levels(world) == ["high"]


def test_none_then_concern_then_urgent_raises_each_level_once(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    note = _write(world, client, risk="none")
    assert _levels(world) == []
    client.post(f"{_base(world)}{note.pk}/", note_form(risk="concern", risk_note="Some thoughts"))
    client.post(f"{_base(world)}{note.pk}/", note_form(risk="urgent", risk_note="A plan"))
    client.post(f"{_base(world)}{note.pk}/", note_form(risk="urgent", risk_note="A plan"))
    assert _levels(world) == ["moderate", "high"]


def test_a_refused_edit_raises_nothing(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    note = _write(world, client, risk="concern", risk_note="Passive thoughts")
    tomorrow = (timezone.localdate() + timedelta(days=2)).isoformat()
    response = client.post(
        f"{_base(world)}{note.pk}/",
        note_form(risk="urgent", risk_note="A plan", held_on=tomorrow),
    )
    assert response.status_code == 400
    assert _levels(world) == ["moderate"]
    note.refresh_from_db()
    assert note.risk == "concern"
