"""The protocol library pages: every role reads, the admin edits a new version, the label
floor refuses on the named field, withdrawing hides a protocol from new plans."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.accounts.audit import AuditEntry
from ketacare.plans.models import ClinicProtocol
from ketacare.plans.protocols import available_protocols, clinic_protocol

pytestmark = pytest.mark.django_db

IV = "iv_ketamine_depression"
ESK = "esketamine_trd_us"


def _form(client: Any, code: str) -> dict[str, Any]:
    """The edit form's pre-filled values, as a browser would send them back."""
    form = client.get(f"/protocols/{code}/edit/").context["form"]
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form.initial.get(name, "")
        data[name] = value if value is not None else ""
    return data


@pytest.mark.parametrize(
    "who", ["admin_a", "prescriber_a", "nurse_a", "therapist_a", "intake_a", "director_a"]
)
def test_every_staff_role_reads_the_library_and_a_protocol(world: Any, as_user: Any, who: str):
    client = as_user(getattr(world, who))
    listing = client.get("/protocols/")
    assert listing.status_code == 200
    assert b"IV racemic ketamine for depression" in listing.content
    page = client.get(f"/protocols/{IV}/")
    assert page.status_code == 200
    text = page.content.decode()
    for part in ("0.5 mg/kg", "40 min", "Twice weekly", "Pulse oximetry", "S33", "EVIDENCE"):
        assert part.lower() in text.lower(), part


def test_protocol_page_shows_the_esketamine_label_schedule_and_checks(world, as_user):
    text = as_user(world.prescriber_a).get(f"/protocols/{ESK}/").content.decode()
    assert "28 mg each" in text and "LABEL" in text
    assert "No food for at least 2 hours before dosing" in text
    assert "at 0, 40 min" in text


def test_an_unknown_protocol_is_not_found(world, as_user):
    assert as_user(world.admin_a).get("/protocols/nope/").status_code == 404


@pytest.mark.parametrize("who", ["prescriber_a", "nurse_a", "therapist_a", "intake_a"])
def test_only_an_admin_may_edit_a_protocol(world: Any, as_user: Any, who: str):
    client = as_user(getattr(world, who))
    assert client.get(f"/protocols/{IV}/edit/").status_code == 403
    assert client.post(f"/protocols/{IV}/edit/", {"reason": "x"}).status_code == 403
    response = client.post(f"/protocols/{IV}/availability/", {"available": "0", "reason": "x"})
    assert response.status_code == 403
    assert ClinicProtocol.objects.count() == 0


def test_admin_edit_makes_a_new_version_with_its_reason_and_history(world, as_user):
    client = as_user(world.admin_a)
    data = _form(client, IV)
    assert data["dose__value"] == "0.5"
    data.update({"dose__max_dose_mg": "100", "reason": "Medical director sign-off"})
    response = client.post(f"/protocols/{IV}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    row = ClinicProtocol.objects.get()
    assert (row.version, row.changes, row.reason) == (
        2,
        {"dose.max_dose_mg": "100"},
        "Medical director sign-off",
    )
    assert clinic_protocol(world.clinic_a, IV).dose.max_dose_mg == 100
    page = client.get(f"/protocols/{IV}/").content.decode()
    assert "v2" in page and "Medical director sign-off" in page and "dose.max_dose_mg" in page
    assert AuditEntry.objects.filter(action="plans.protocol.edited").count() == 1


def test_phase_frequencies_are_edited_as_text(world, as_user):
    client = as_user(world.admin_a)
    data = _form(client, IV)
    assert data["phases__induction__frequencies"] == "2/7, 3/7"
    data.update({"phases__induction__frequencies": "3/7", "reason": "Mon/Wed/Fri only"})
    assert client.post(f"/protocols/{IV}/edit/", data).status_code == 302
    freqs = clinic_protocol(world.clinic_a, IV).phase("induction").frequencies
    assert [(f.count, f.per_days) for f in freqs] == [(3, 7)]


def test_a_change_below_the_esketamine_label_floor_names_the_field_and_saves_nothing(
    world, as_user
):
    client = as_user(world.admin_a)
    data = _form(client, ESK)
    data.update({"monitoring__min_observation_min": "60", "reason": "Shorter visits"})
    response = client.post(f"/protocols/{ESK}/edit/", data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "monitoring__min_observation_min" in form.errors
    assert "120" in form.errors["monitoring__min_observation_min"][0]
    assert form["monitoring__min_observation_min"].value() == "60"  # nothing typed is lost
    assert ClinicProtocol.objects.count() == 0


def test_an_inconsistent_racemic_edit_names_the_field(world, as_user):
    client = as_user(world.admin_a)
    data = _form(client, IV)
    data.update({"dose__value": "0.6", "reason": "try"})
    response = client.post(f"/protocols/{IV}/edit/", data)
    assert response.status_code == 400
    assert "dose__value" in response.context["form"].errors
    assert ClinicProtocol.objects.count() == 0


def test_edit_without_reason_or_without_change_is_refused(world, as_user):
    client = as_user(world.admin_a)
    data = _form(client, IV)
    response = client.post(f"/protocols/{IV}/edit/", {**data, "reason": "nothing"})
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    response = client.post(f"/protocols/{IV}/edit/", {**data, "dose__max_dose_mg": "90"})
    assert response.status_code == 400
    assert "reason" in response.context["form"].errors
    bad = client.post(
        f"/protocols/{IV}/edit/", {**data, "dose__max_dose_mg": "lots", "reason": "r"}
    )
    assert "dose__max_dose_mg" in bad.context["form"].errors
    assert ClinicProtocol.objects.count() == 0


def test_withdrawing_hides_a_protocol_from_new_plans_and_can_be_undone(world, as_user):
    client = as_user(world.admin_a)
    refused = client.post(f"/protocols/{IV}/availability/", {"available": "0", "reason": ""})
    assert refused.status_code == 400 and "reason" in refused.context["availability_form"].errors
    response = client.post(
        f"/protocols/{IV}/availability/", {"available": "0", "reason": "Pump recall"}
    )
    assert response.status_code == 302
    assert IV not in [p.code for p in available_protocols(world.clinic_a)]
    assert "withdrawn" in client.get("/protocols/").content.decode().lower()
    client.post(f"/protocols/{IV}/availability/", {"available": "1", "reason": "Pumps back"})
    assert IV in [p.code for p in available_protocols(world.clinic_a)]
    assert list(ClinicProtocol.objects.values_list("version", flat=True).order_by("version")) == [
        2,
        3,
    ]


def test_clinic_b_never_sees_clinic_a_versions(world, as_user):
    client = as_user(world.admin_a)
    data = _form(client, IV)
    data.update({"dose__max_dose_mg": "100", "reason": "Alpha only"})
    client.post(f"/protocols/{IV}/edit/", data)
    page = as_user(world.clinician_b).get(f"/protocols/{IV}/").content.decode()
    assert "Alpha only" not in page and "100 mg" not in page
    assert clinic_protocol(world.clinic_b, IV).version == 1
