"""A monitor gateway's Bundle of out-of-range readings for one session makes one open alert,
counting the others as repeats, with one look-up for open alerts whatever the Bundle's size;
a later message repeats that alert instead of raising another."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from ketacare.treatments.models import SessionAlert, TreatmentSession, VitalReading
from tests.fhir.device_helpers import GATEWAY, observation, post

pytestmark = pytest.mark.django_db


def spo2_bundle(session: TreatmentSession, values: list[int], prefix: str) -> dict[str, Any]:
    first = timezone.now() - timedelta(minutes=len(values) + 1)
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                "resource": observation(
                    session, "59408-5", value, unit="%", at=first + timedelta(minutes=i)
                ),
                "request": {
                    "method": "POST",
                    "url": "Observation",
                    "ifNoneExist": f"identifier={GATEWAY}|{prefix}-{i}",
                },
            }
            for i, value in enumerate(values)
        ],
    }


def test_a_bundle_of_ten_low_readings_raises_one_alert(
    session: TreatmentSession, nurse: Client
) -> None:
    values = [91, 90, 91, 90, 89, 90, 91, 90, 89, 88]
    with CaptureQueriesContext(connection) as queries:
        response = nurse.post(
            "/fhir/",
            data=json.dumps(spo2_bundle(session, values, "b1")),
            content_type="application/fhir+json",
        )
    assert response.status_code == 200, response.content
    readings = list(VitalReading.objects.filter(session=session, source="device").order_by("pk"))
    assert len(readings) == 10
    alert = SessionAlert.objects.get(session=session)
    assert (alert.code, alert.level, alert.repeat_count) == ("spo2_low", "warning", 9)
    assert (alert.reading, alert.last_reading) == (readings[0], readings[-1])
    assert alert.message.startswith("SpO2 88 %")
    assert alert.message.endswith("; first 91 %)")
    # One look-up of open alerts for the session, then the new alert inserted once.
    lookups = [
        q
        for q in queries.captured_queries
        if "treatments_sessionalert" in q["sql"] and q["sql"].lstrip().upper().startswith("SELECT")
    ]
    assert len(lookups) == 1

    # The next message from the monitor repeats the open alert.
    later = post(nurse, observation(session, "59408-5", 90, unit="%", identifier="b2-0"))
    assert later.status_code == 201, later.content
    alert.refresh_from_db()
    assert SessionAlert.objects.filter(session=session).count() == 1
    assert alert.repeat_count == 10
    assert alert.message.startswith("SpO2 90 %")
