"""Portal "ask for another time" with a note over 2000 characters: the appointments page is
shown again with the form open, the text typed kept and the problem in words under the field
(it was a flash "note: please keep it under 2000 characters." after a redirect that lost the
text). Nothing is marked or sent."""

from __future__ import annotations

from typing import Any

from ketacare.portal.models import Message
from tests.portal.test_appointments import make_appointment


def test_a_reschedule_note_too_long_is_shown_again_with_the_text(portal: Any, world: Any) -> None:
    appt = make_appointment(world.patient_a)
    c = portal.client(portal.a)
    note = "Tuesdays after 3 pm. " + "x" * 2000
    response = c.post(f"/portal/appointments/{appt.pk}/reschedule/", {"note": note})
    assert response.status_code == 400
    page = response.content.decode()
    assert note in page
    assert f"Please keep this to 2000 characters or fewer: it has {len(note)}." in page
    assert "note:" not in page
    assert "<details open>" in page
    appt.refresh_from_db()
    assert appt.reschedule_requested_at is None and not Message.objects.exists()


def test_a_note_of_2000_characters_is_sent(portal: Any, world: Any) -> None:
    appt = make_appointment(world.patient_a)
    c = portal.client(portal.a)
    note = "y" * 2000
    response = c.post(f"/portal/appointments/{appt.pk}/reschedule/", {"note": note})
    assert response.status_code == 302
    assert note in Message.objects.get().body
