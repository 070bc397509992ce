"""The clinic's REMS forms list shows patients' names and record numbers: its audit entry says
which patients (and sessions) were shown, not only how many forms; another clinic's list shows
and records none of them."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from tests.treatments.test_rems_form import run_esketamine

pytestmark = pytest.mark.django_db


def test_the_rems_list_audits_the_patients_it_shows(world: Any, as_user: Any) -> None:
    session = run_esketamine(world)
    body = as_user(world.nurse_a).get("/rems-forms/").content.decode()
    assert world.patient_a.mrn in body
    entry = AuditEntry.objects.filter(action="treatments.rems_forms.listed").get()
    assert entry.actor_id == world.nurse_a.pk and entry.clinic_id == world.clinic_a.pk
    assert entry.detail == {
        "forms": 1,
        "patients": [str(world.patient_a.pk)],
        "sessions": [session.pk],
    }
    # Another clinic's list shows none of them, and its entry names none.
    other = as_user(world.clinician_b).get("/rems-forms/").content.decode()
    assert world.patient_a.mrn not in other
    entry = AuditEntry.objects.filter(
        action="treatments.rems_forms.listed", actor_id=world.clinician_b.pk
    ).get()
    assert entry.detail == {"forms": 0, "patients": [], "sessions": []}
