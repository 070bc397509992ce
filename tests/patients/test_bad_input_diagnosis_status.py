"""A diagnosis status that is not in the list ("zz") is refused under the status select in
words, naming the diagnosis and the statuses there are; it showed the code's message
('status: “zz” is not one of active, remission, resolved.'). Nothing changes."""

from __future__ import annotations

from typing import Any

from ketacare.patients.models import Diagnosis


def test_an_unknown_status_is_refused_in_words_under_the_field(world: Any, as_user: Any) -> None:
    dx = Diagnosis.objects.create(patient=world.patient_a, icd10_code="F33.2", display="MDD")
    client = as_user(world.prescriber_a)
    url = f"/patients/{world.patient_a.pk}/diagnoses/{dx.pk}/status/"
    refused = client.post(url, {"status": "zz"})
    html = refused.content.decode()
    assert refused.status_code == 400
    assert 'data-field="status"' in html
    assert "“zz” is not a status; choose Active, In remission, Resolved." in html
    assert "Status of F33.2 MDD" in html and f'action="{url}"' in html
    assert "is not one of active, remission, resolved" not in html and "status:" not in html
    empty = client.post(url, {})
    assert empty.status_code == 400 and "Choose a status." in empty.content.decode()
    dx.refresh_from_db()
    assert dx.status == "active"
    assert client.post(url, {"status": "resolved"}).status_code == 302
    dx.refresh_from_db()
    assert dx.status == "resolved"
