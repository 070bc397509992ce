"""Acknowledging a risk flag documents what was done in a few words (core.reasons), as every
other reason that closes a safety step: "ok" is refused on the page, under the note, and the
flag stays open and escalating."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.core.reasons import FLOOR, is_few_words
from ketacare.safety.escalation_models import EscalationState, FlagEscalation
from ketacare.safety.models import RiskFlag
from tests.page_text import without_tokens
from tests.safety.helpers import raise_flag

pytestmark = pytest.mark.django_db


def test_the_floor() -> None:
    assert not is_few_words("ok")
    assert not is_few_words("   called    ")
    assert not is_few_words("Calledpatient")  # one word, however long
    assert is_few_words("Called her, safe.")
    assert FLOOR == "at least 2 words and 10 characters"


def test_a_terse_acknowledgement_is_refused_under_the_note(world: Any, as_user: Any) -> None:
    flag = raise_flag(world.patient_a)
    response = as_user(world.prescriber_a).post(
        f"/safety/flags/{flag.pk}/", {"action": "called_patient", "note": "ok"}
    )
    html = response.content.decode()
    assert "in a few words (at least 2 words and 10 characters)" in html
    assert "note:" not in without_tokens(html)
    flag.refresh_from_db()
    assert flag.status == "open" and flag.acknowledged_at is None
    assert FlagEscalation.objects.get(flag=flag).state == EscalationState.ACTIVE
    done = as_user(world.prescriber_a).post(
        f"/safety/flags/{flag.pk}/",
        {"action": "called_patient", "note": "Spoke to her at 14:05; safe at home with her sister"},
    )
    assert done.status_code == 302
    assert RiskFlag.objects.get(pk=flag.pk).status == "acknowledged"
