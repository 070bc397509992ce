"""The JSON API works on the token's clinic's wall clock, as its staff pages do.

A token call has no session, so `ActiveClinicMiddleware` leaves the zone at the server's
(settings.TIME_ZONE, America/New_York here). A London clinic at 02:30 on 31 May (21:30 on
30 May in New York) had a diagnosis dated today refused as "in the future", and a weight sent
with a time but no zone was stored five hours off.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import time_machine
from django.utils import timezone

from ketacare.patients.models import BodyMeasurement

LONDON_NIGHT = "2026-05-31 01:30:00+00:00"  # 02:30 in London, 21:30 on 30 May in New York


def _post(client: Any, url: str, body: dict[str, Any]) -> Any:
    return client.post(url, data=body, content_type="application/json")


def _london(world: Any) -> None:
    world.clinic_a.time_zone = "Europe/London"
    world.clinic_a.save(update_fields=["time_zone"])


@time_machine.travel(LONDON_NIGHT, tick=False)
def test_a_diagnosis_dated_the_clinics_today_is_accepted(
    world: Any, token_for: Any, api_client: Any
) -> None:
    _london(world)
    prescriber = api_client(token_for(world.prescriber_a))
    base = f"/api/v1/patients/{world.patient_a.pk}"
    today = _post(
        prescriber, f"{base}/diagnoses", {"icd10_code": "F33.2", "onset_date": "2026-05-31"}
    )
    assert today.status_code == 201, today.json()
    tomorrow = _post(
        prescriber, f"{base}/diagnoses", {"icd10_code": "F43.10", "onset_date": "2026-06-01"}
    )
    assert tomorrow.status_code == 422
    assert tomorrow.json()["errors"][0]["field"] == "onset_date"


@time_machine.travel(LONDON_NIGHT, tick=False)
def test_a_time_without_a_zone_is_the_clinics_wall_clock(
    world: Any, token_for: Any, api_client: Any
) -> None:
    _london(world)
    nurse = api_client(token_for(world.nurse_a))
    base = f"/api/v1/patients/{world.patient_a.pk}"
    sent = _post(
        nurse, f"{base}/measurements", {"weight_kg": "70.0", "measured_at": "2026-05-31T02:00:00"}
    )
    assert sent.status_code == 201, sent.json()
    stored = BodyMeasurement.objects.get(pk=sent.json()["id"])
    assert stored.measured_at == datetime(2026, 5, 31, 1, 0, tzinfo=UTC)  # 02:00 BST


def test_the_servers_zone_is_back_after_an_api_call(
    world: Any, token_for: Any, api_client: Any
) -> None:
    _london(world)
    nurse = api_client(token_for(world.nurse_a))
    assert nurse.get(f"/api/v1/patients/{world.patient_a.pk}").status_code == 200
    assert timezone.get_current_timezone_name() == timezone.get_default_timezone_name()
