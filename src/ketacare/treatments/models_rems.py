"""The SPRAVATO REMS Patient Monitoring Form of one esketamine session (clinical.md §6d).

Most fields are read from the session record when the form is shown (`rems_form.py`); this row
holds only what staff typed for fields the record lacks (`entries`), and, once submitted, the
date, the person, how it was sent and a frozen copy of every field as submitted
(`submitted_fields`), so later changes to the record never alter what was filed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class RemsSubmitMethod(models.TextChoices):
    ONLINE = "online", "Online at SPRAVATOrems.com"
    FAX = "fax", "Fax 1-877-778-0091"


class RemsMonitoringForm(models.Model):
    session = models.OneToOneField(
        "treatments.TreatmentSession", on_delete=models.PROTECT, related_name="rems_form"
    )
    clinic = models.ForeignKey(
        "accounts.Clinic", on_delete=models.PROTECT, related_name="rems_forms"
    )
    # {field code: value as typed}, only for fields the session record does not hold.
    entries = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    submitted_on = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    method = models.CharField(max_length=10, choices=RemsSubmitMethod.choices, blank=True)
    confirmation = models.CharField(max_length=80, blank=True)
    submitted_fields = models.JSONField(default=list, blank=True)

    class Meta:
        indexes = [models.Index(fields=["clinic", "submitted_at"], name="rems_clinic_submitted")]

    def __str__(self) -> str:
        return f"REMS form of session {self.session_id}"

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None
