"""Integration therapy notes: draft, sign (immutable), addenda, risk flags, isolation, audit."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from ketacare.aftercare.models import IntegrationAddendum, IntegrationNote, NoteStatus
from ketacare.safety.models import RiskFlag
from tests.aftercare.helpers import dosed_session, note_form
from tests.conftest import make_patient
from tests.page_text import without_tokens

pytestmark = pytest.mark.django_db


def _base(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/aftercare/integration/"


def test_therapist_writes_a_note_linked_to_the_dosing_session(world: Any, as_user: Any) -> None:
    session = dosed_session(world, world.patient_a)
    client = as_user(world.therapist_a)
    page = client.get(_base(world) + "new/")
    assert page.status_code == 200 and "Risk check" in page.content.decode()
    response = client.post(_base(world) + "new/", note_form(treatment_sessions=[str(session.pk)]))
    assert response.status_code == 302
    note = IntegrationNote.objects.get()
    assert note.status == NoteStatus.DRAFT
    assert note.therapist == world.therapist_a
    assert list(note.treatment_sessions.all()) == [session]
    assert note.homework.startswith("Journal")
    assert AuditEntry.objects.filter(
        action="aftercare.integration.created", object_id=str(note.pk)
    ).exists()
    body = client.get(_base(world)).content.decode()
    assert "Integration (after dosing)" in body and "Draft" in body


def test_signed_note_cannot_change_and_takes_addenda(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    client.post(_base(world) + "new/", note_form())
    note = IntegrationNote.objects.get()
    assert client.post(f"{_base(world)}{note.pk}/sign/").status_code == 302
    note.refresh_from_db()
    assert note.status == NoteStatus.SIGNED and note.signed_by == world.therapist_a
    # An edit after signing is refused and changes nothing.
    response = client.post(f"{_base(world)}{note.pk}/", note_form(themes="rewritten"))
    assert response.status_code == 409
    note.refresh_from_db()
    assert note.themes.startswith("Felt held")
    client.post(f"{_base(world)}{note.pk}/addendum/", {"text": "Patient called: slept well."})
    assert IntegrationAddendum.objects.get(note=note).text == "Patient called: slept well."
    page = client.get(f"{_base(world)}{note.pk}/").content.decode()
    assert "Patient called: slept well." in page and "Felt held" in page
    assert AuditEntry.objects.filter(action="aftercare.integration.signed").count() == 1


def test_addendum_on_a_draft_and_empty_addendum_are_refused(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    client.post(_base(world) + "new/", note_form())
    note = IntegrationNote.objects.get()
    client.post(f"{_base(world)}{note.pk}/addendum/", {"text": "too early"})
    assert not IntegrationAddendum.objects.exists()
    client.post(f"{_base(world)}{note.pk}/sign/")
    response = client.post(f"{_base(world)}{note.pk}/addendum/", {"text": "  "}, follow=True)
    assert response.status_code == 400
    assert response.context["addendum_form"].errors["text"] == ["Write the addendum."]
    assert not IntegrationAddendum.objects.exists()


def test_only_the_author_signs(world: Any, as_user: Any) -> None:
    as_user(world.therapist_a).post(_base(world) + "new/", note_form())
    note = IntegrationNote.objects.get()
    response = as_user(world.prescriber_a).post(f"{_base(world)}{note.pk}/sign/", follow=True)
    assert "Only the therapist who wrote the note signs it" in response.content.decode()
    note.refresh_from_db()
    assert note.status == NoteStatus.DRAFT


def test_risk_answer_raises_a_flag_once(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    response = client.post(
        _base(world) + "new/",
        note_form(risk="urgent", risk_note="Said she has a plan for the weekend"),
    )
    assert response.status_code == 302
    flag = RiskFlag.objects.get(patient=world.patient_a)
    assert flag.level == "high" and flag.requires_cssrs
    assert "plan for the weekend" in flag.reason
    note = IntegrationNote.objects.get()
    assert note.risk_flag == flag
    # Saving the draft again does not raise a second flag.
    client.post(f"{_base(world)}{note.pk}/", note_form(risk="urgent", risk_note="Same disclosure"))
    assert RiskFlag.objects.count() == 1


def test_bad_input_names_the_field_and_saves_nothing(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    body = client.post(_base(world) + "new/", note_form(risk="")).content.decode()
    assert 'data-field="risk"' in body
    body = client.post(_base(world) + "new/", note_form(risk="concern")).content.decode()
    assert 'data-field="risk_note"' in body
    body = client.post(_base(world) + "new/", note_form(held_on="not a date")).content.decode()
    assert 'data-field="held_on"' in body
    assert not IntegrationNote.objects.exists()
    assert not RiskFlag.objects.exists()


def test_session_of_another_patient_cannot_be_linked(world: Any, as_user: Any) -> None:
    other = make_patient(world.clinic_a, "Other", "Person")
    session = dosed_session(world, other)
    client = as_user(world.therapist_a)
    body = client.post(
        _base(world) + "new/", note_form(treatment_sessions=[str(session.pk)])
    ).content.decode()
    assert 'data-field="treatment_sessions"' in body
    assert not IntegrationNote.objects.exists()


def test_nurse_reads_but_cannot_write(world: Any, as_user: Any) -> None:
    as_user(world.therapist_a).post(_base(world) + "new/", note_form())
    note = IntegrationNote.objects.get()
    nurse = as_user(world.nurse_a)
    assert nurse.get(f"{_base(world)}{note.pk}/").status_code == 200
    assert nurse.get(_base(world) + "new/").status_code == 403
    assert nurse.post(_base(world) + "new/", note_form()).status_code == 403
    assert IntegrationNote.objects.count() == 1


def test_other_clinic_gets_404(world: Any, as_user: Any) -> None:
    as_user(world.therapist_a).post(_base(world) + "new/", note_form())
    note = IntegrationNote.objects.get()
    b = as_user(world.clinician_b)
    assert b.get(f"{_base(world)}{note.pk}/").status_code == 404
    assert b.post(f"{_base(world)}{note.pk}/sign/").status_code == 404
    # Their own patient's URL with clinic A's note id is a 404 too.
    other = f"/patients/{world.patient_b.pk}/aftercare/integration/{note.pk}/"
    assert b.get(other).status_code == 404


def test_caseload_and_integration_gaps(world: Any, as_user: Any) -> None:
    covered = world.patient_a
    gap = make_patient(world.clinic_a, "Gap", "Patient")
    old = make_patient(world.clinic_a, "Old", "Dosing")
    dosed_session(world, covered, days_ago=2)
    dosed_session(world, gap, days_ago=3)
    dosed_session(world, old, days_ago=20)
    client = as_user(world.therapist_a)
    client.post(_base(world) + "new/", note_form())
    page = client.get("/aftercare/caseload/").content.decode()
    gaps = page.split('data-testid="gaps"')[1].split('data-testid="caseload"')[0]
    caseload = page.split('data-testid="caseload"')[1]
    assert "Patient, Gap" in gaps
    assert "Lovelace" not in gaps and "Dosing, Old" not in gaps
    assert "Lovelace" in caseload and "1 unsigned" in caseload
    assert AuditEntry.objects.filter(action="aftercare.caseload.listed").exists()
    # Clinic B sees none of it.
    page_b = as_user(world.clinician_b).get("/aftercare/caseload/").content.decode()
    assert "Gap" not in without_tokens(page_b) and "Lovelace" not in page_b


def test_gap_window_is_a_clinic_setting(world: Any, as_user: Any) -> None:
    dosed_session(world, world.patient_a, days_ago=10)
    admin = as_user(world.admin_a)
    assert "Lovelace" not in admin.get("/aftercare/caseload/").content.decode()
    response = admin.post(
        "/aftercare/settings/",
        {
            "integration_gap_days": "14",
            "booster_rise_pct": "25",
            "alcohol_limit_drinks": "0",
            "alcohol_window_days": "1",
        },
    )
    assert response.status_code == 302
    assert "Lovelace" in admin.get("/aftercare/caseload/").content.decode()
    assert AuditEntry.objects.filter(action="aftercare.settings.changed").exists()
    bad = admin.post("/aftercare/settings/", {"integration_gap_days": "0"}).content.decode()
    assert 'data-field="integration_gap_days"' in bad
    assert as_user(world.therapist_a).get("/aftercare/settings/").status_code == 403


def test_chart_shows_the_notes(world: Any, as_user: Any) -> None:
    client = as_user(world.therapist_a)
    client.post(_base(world) + "new/", note_form())
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    section = chart.split('data-testid="aftercare-section"')[1]
    assert "Integration (after dosing)" in section and "Journal for ten minutes" in section
