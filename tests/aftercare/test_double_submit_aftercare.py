"""Pressing Save twice on an aftercare page saves once: a new integration note (two drafts, and
with a risk answer two safety flags), an addendum to a signed note, a habit goal (the second
press was answered "a goal for this habit already starts on …" as if nothing had been saved).
The second press goes to what the first saved, saying "Already saved". Logging a habit day is
an update of that day, so a repeat changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from ketacare.aftercare.models import HabitGoal, HabitLog, IntegrationAddendum, IntegrationNote
from ketacare.safety.models import RiskFlag
from tests.aftercare.helpers import note_form
from tests.submission_helpers import form_keys, post_twice

pytestmark = pytest.mark.django_db


def _base(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/aftercare/"


def test_a_new_note_sent_twice_is_one_draft_with_one_flag(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    url = _base(world) + "integration/new/"
    (key,) = form_keys(client.get(url))
    data = note_form(risk="concern", risk_note="Passive thoughts", submission_key=key)
    again = post_twice(client, url, data)
    note = IntegrationNote.objects.get(patient=world.patient_a)
    assert again["Location"] == f"{_base(world)}integration/{note.pk}/"
    assert RiskFlag.objects.filter(patient=world.patient_a).count() == 1
    # The draft's own page (editing) carries no key: saving it twice is an update.
    assert form_keys(client.get(again["Location"])) == []


def test_a_new_note_without_a_key_still_saves(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    assert client.post(_base(world) + "integration/new/", note_form()).status_code == 302
    assert IntegrationNote.objects.count() == 1


def test_an_addendum_sent_twice_is_added_once(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    client.post(_base(world) + "integration/new/", note_form())
    note = IntegrationNote.objects.get()
    client.post(f"{_base(world)}integration/{note.pk}/sign/")
    (key,) = form_keys(client.get(f"{_base(world)}integration/{note.pk}/"))
    post_twice(
        client,
        f"{_base(world)}integration/{note.pk}/addendum/",
        {"text": "Called: slept well.", "submission_key": key},
    )
    assert IntegrationAddendum.objects.filter(note=note).count() == 1


def test_a_goal_sent_twice_is_set_once_without_an_error(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    keys = form_keys(client.get(_base(world) + "habits/"))
    assert len(keys) == 1  # the goal form; logging a day is an update by date
    today = timezone.localdate().isoformat()
    post_twice(
        client,
        _base(world) + "habits/goals/",
        {"kind": "active_min_week", "target": "150", "starts_on": today, "submission_key": keys[0]},
    )
    assert HabitGoal.objects.filter(patient=world.patient_a).count() == 1


def test_a_habit_day_sent_twice_stays_one_day(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    data = {"day": timezone.localdate().isoformat(), "active_minutes": "30", "therapy": "unknown"}
    assert client.post(_base(world) + "habits/", data).status_code == 302
    assert client.post(_base(world) + "habits/", data).status_code == 302
    assert HabitLog.objects.filter(patient=world.patient_a).count() == 1
