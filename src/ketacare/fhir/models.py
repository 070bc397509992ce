"""What the FHIR facade keeps of its own: the idempotency keys of device Observations and of
QuestionnaireResponses.

A monitor gateway may resend a message (a timeout, a restart). Each vital-signs Observation it
posts carries an `identifier` (or the request an `If-None-Exist: identifier=system|value`);
the key is stored here with the reading it made, unique per clinic, so a resend finds the
reading instead of storing a second one, and two concurrent resends cannot both insert.
A QuestionnaireResponse's `identifier` (or the same header) is kept likewise with the
assessment it made (`ReceivedResponse`), so a resend does not store, score and flag it twice.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic
from ketacare.measures.models import Assessment
from ketacare.treatments.models import VitalReading


class ReceivedObservation(models.Model):
    # No index of its own: the unique (clinic, system, value) key below leads with it.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    reading = models.OneToOneField(
        VitalReading, on_delete=models.PROTECT, related_name="received_as"
    )
    kind = models.CharField(max_length=8)  # bp, hr, spo2, rr, temp
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "system", "value"], name="received_observation_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"


class ReceivedResponse(models.Model):
    """The key of a QuestionnaireResponse stored as an assessment; written in the
    assessment's transaction (`response_store.do_store_response`)."""

    # No index of its own: the unique (clinic, system, value) key below leads with it.
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+", db_index=False)
    system = models.CharField(max_length=255)
    value = models.CharField(max_length=255)
    assessment = models.OneToOneField(
        Assessment, on_delete=models.PROTECT, related_name="received_as"
    )
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "system", "value"], name="received_response_unique_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.system}|{self.value}"
