"""A consent signed, or a REMS enrolment dated, before the patient was born (1900, 1800 for a
patient born 1985) or after the clinic's today is refused under the date in words, with what
was typed kept and nothing stored. "Today" is the clinic's: a clinic at UTC+14 may record a
consent signed on its today while it is still yesterday in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine

from ketacare.evaluations.models import Consent, RemsEnrollment

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)  # 4 Dec 02:00 at Kiritimati, 3 Dec in New York
CONSENT = {
    "route": "iv_racemic",
    "version": "IV-2026-01",
    "off_label_disclosed": "on",
    "risks_discussed": ["dissociation", "blood_pressure"],
    "patient_signature_name": "Ada <b>Lovelace</b>",
}


def _refused(response: Any, field: str, words: str, typed: str) -> None:
    html = response.content.decode()
    assert response.status_code == 400
    assert f'data-field="{field}"' in html and words in html, html
    assert f"{field}:" not in html
    assert f'value="{typed}"' in html


def test_a_consent_signed_before_birth_or_after_today_is_refused(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/evaluation/consent/"
    with time_machine.travel(NOW, tick=False):
        for typed, words in (
            (
                "1900-01-01",
                "The signing date cannot be before the patient&#x27;s date of birth (12 Apr 1985)",
            ),
            ("2026-12-04", "The signing date cannot be in the future (today is 03 Dec 2026)."),
        ):
            refused = client.post(url, {**CONSENT, "signed_on": typed})
            _refused(refused, "signed_on", words, typed)
            assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in refused.content.decode()
        assert not Consent.objects.exists()
        assert client.post(url, {**CONSENT, "signed_on": "2026-12-03"}).status_code == 302
        # The clinic's today, not the server's: 4 Dec has begun at Kiritimati.
        world.clinic_a.time_zone = "Pacific/Kiritimati"
        world.clinic_a.save()
        assert client.post(url, {**CONSENT, "signed_on": "2026-12-04"}).status_code == 302
    assert Consent.objects.filter(patient=world.patient_a).count() == 2


def test_a_rems_enrolment_before_birth_or_after_today_is_refused(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/evaluation/rems/"
    with time_machine.travel(NOW, tick=False):
        for typed, words in (
            ("1800-01-01", "The enrolment date cannot be before the patient&#x27;s date of birth"),
            ("2027-01-01", "The enrolment date cannot be in the future"),
        ):
            refused = client.post(url, {"rems_patient_id": "RX-42", "enrolled_on": typed})
            _refused(refused, "enrolled_on", words, typed)
            assert 'value="RX-42"' in refused.content.decode()
        assert not RemsEnrollment.objects.exists()
        ok = client.post(url, {"rems_patient_id": "RX-42", "enrolled_on": "2026-11-20"})
        assert ok.status_code == 302
