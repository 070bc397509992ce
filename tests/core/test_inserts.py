"""`insert_rows` stores exactly what `bulk_create` would, and gives each instance its key."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.forms.models import model_to_dict
from django.utils import timezone

from ketacare.accounts.models import Membership
from ketacare.core.inserts import insert_rows
from ketacare.fhir.models import ReceivedObservation
from ketacare.treatments.models import ReadingPhase, ReadingSource, VitalReading
from tests.treatments.session_helpers import dosed, ready_session

pytestmark = pytest.mark.django_db


def _readings(session: Any, nurse: Any, start: Any) -> list[VitalReading]:
    """Every kind of value the columns take: numbers, None, a decimal, choices, times."""
    return [
        VitalReading(
            session=session,
            phase=ReadingPhase.DURING,
            taken_at=start + timedelta(minutes=i),
            recorded_at=start,
            recorded_by=nurse if i % 2 else None,
            systolic_mmhg=120 + i,
            diastolic_mmhg=None if i == 1 else 80,
            heart_rate_bpm=70,
            spo2_pct=97,
            temperature_c=Decimal("36.6") if i == 2 else None,
            moaas=5 if i == 0 else None,
            source=ReadingSource.DEVICE,
            correction_reason="typed “twice”, O'Brien" if i == 3 else "",
        )
        for i in range(5)
    ]


def _stored(rows: list[VitalReading]) -> list[dict[str, Any]]:
    fetched = VitalReading.objects.in_bulk([r.pk for r in rows])
    return [{k: v for k, v in model_to_dict(fetched[r.pk]).items() if k != "id"} for r in rows]


def test_the_rows_equal_bulk_creates_and_keep_their_order(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    start = timezone.now().replace(microsecond=123456)
    ours = insert_rows(_readings(session, world.nurse_a, start))
    theirs = VitalReading.objects.bulk_create(_readings(session, world.nurse_a, start))

    assert [r.pk for r in ours] == sorted(r.pk for r in ours)
    assert all(r.pk is not None and not r._state.adding for r in ours)
    assert _stored(ours) == _stored(theirs)
    # Each key belongs to the instance it was given to (not only the same set of keys).
    for row in ours:
        assert VitalReading.objects.get(pk=row.pk).systolic_mmhg == row.systolic_mmhg


def test_a_foreign_key_to_the_new_rows_and_a_many_row_insert(world: Any) -> None:
    session = dosed(
        world.nurse_a, ready_session(world.prescriber_a, world.nurse_a, world.patient_a)
    )
    start = timezone.now()
    many = [
        VitalReading(session=session, taken_at=start + timedelta(seconds=i), heart_rate_bpm=i % 200)
        for i in range(1200)  # more than SQLite's variables allow in one statement
    ]
    insert_rows(many)
    keys = insert_rows(
        [
            ReceivedObservation(
                clinic=session.clinic, system="urn:test", value=f"k{r.pk}", reading=r, kind="hr"
            )
            for r in many
        ]
    )
    assert (
        VitalReading.objects.filter(session=session, heart_rate_bpm__isnull=False).count() >= 1200
    )
    assert all(k.pk is not None for k in keys)
    assert {k.reading_id for k in ReceivedObservation.objects.filter(system="urn:test")} == {
        r.pk for r in many
    }
    assert ReceivedObservation.objects.get(value=f"k{many[700].pk}").reading.heart_rate_bpm == 100


def test_nothing_to_insert_and_an_instance_with_a_key_goes_to_bulk_create(world: Any) -> None:
    assert insert_rows([]) == []
    member = Membership.objects.filter(user=world.nurse_a).first()
    assert member is not None
    # Already stored: bulk_create inserts it with its key, which the database refuses.
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_rows([member])
    assert Membership.objects.filter(user=world.nurse_a).count() == 1
