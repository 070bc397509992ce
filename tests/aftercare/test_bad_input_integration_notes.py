"""Bad input on an integration note's page: an addendum too long or blank, a refused signature,
a refused draft. The note page comes back (400) with the words typed and the refusal under the
field in words; nothing is stored."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.aftercare.models import IntegrationAddendum, IntegrationNote
from tests.aftercare.helpers import note_form

pytestmark = pytest.mark.django_db


def _notes(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/aftercare/integration/"


def _signed(world: Any, client: Any) -> IntegrationNote:
    client.post(_notes(world) + "new/", note_form())
    note = IntegrationNote.objects.get()
    client.post(f"{_notes(world)}{note.pk}/sign/")
    return note


def test_an_addendum_too_long_is_refused_in_words_and_kept(world, as_user):
    client = as_user(world.therapist_a)
    note = _signed(world, client)
    text = "Called back. " + "x" * 9990
    response = client.post(f"{_notes(world)}{note.pk}/addendum/", {"text": text})
    assert response.status_code == 400
    (message,) = response.context["addendum_form"].errors["text"]
    assert "at most 4000 characters" in message
    body = response.content.decode()
    assert "Called back. xxxx" in body  # what was typed is there to shorten
    assert "(text)" not in body and "write the addendum" not in body.lower()
    assert not IntegrationAddendum.objects.exists()


def test_a_blank_addendum_is_refused_under_the_field(world, as_user):
    client = as_user(world.therapist_a)
    note = _signed(world, client)
    response = client.post(f"{_notes(world)}{note.pk}/addendum/", {"text": "   "})
    assert response.status_code == 400
    assert response.context["addendum_form"].errors["text"] == ["Write the addendum."]
    assert "(text)" not in response.content.decode()
    assert not IntegrationAddendum.objects.exists()


def test_an_addendum_on_a_draft_is_refused_in_words(world, as_user):
    client = as_user(world.therapist_a)
    client.post(_notes(world) + "new/", note_form())
    note = IntegrationNote.objects.get()
    response = client.post(f"{_notes(world)}{note.pk}/addendum/", {"text": "Too early"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Addendum not added: Edit the draft instead: addenda are for signed notes." in body
    assert "status:" not in body and "(status)" not in body
    assert not IntegrationAddendum.objects.exists()


def test_signing_an_empty_note_says_why_without_internal_names(world, as_user):
    client = as_user(world.therapist_a)
    client.post(
        _notes(world) + "new/", note_form(intentions="", themes="", insights="", homework="")
    )
    note = IntegrationNote.objects.get()
    response = client.post(f"{_notes(world)}{note.pk}/sign/", follow=True)
    said = [str(m) for m in response.context["messages"]]
    assert said[-1] == (
        "Not signed: Record intentions, themes or insights before signing an empty note."
    )
    note.refresh_from_db()
    assert note.status == "draft"


def test_a_refused_note_answers_400_with_what_was_typed(world, as_user):
    response = as_user(world.therapist_a).post(
        _notes(world) + "new/", note_form(held_on="2026-02-30", insights="Kept insight")
    )
    assert response.status_code == 400
    assert response.context["form"].errors["held_on"]
    assert "Kept insight" in response.content.decode()
    assert not IntegrationNote.objects.exists()
