"""A clinic's monitoring settings and the in-app notices the chair sends to staff.

Imported at the end of `treatments.models`, so Django registers them in the treatments app.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from ketacare.accounts.models import Clinic


class ClinicMonitoringSettings(models.Model):
    """The clinic's vitals and alert limits (`treatments.limits.SPECS` names the keys). No row,
    or a key missing: the sourced default."""

    clinic = models.OneToOneField(
        Clinic, on_delete=models.CASCADE, related_name="monitoring_settings"
    )
    values = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        app_label = "treatments"
        verbose_name_plural = "clinic monitoring settings"

    def __str__(self) -> str:
        return f"monitoring settings of clinic {self.clinic_id}"


class StaffNotice(models.Model):
    """Something a staff member must see in the app, e.g. an alert escalated to them."""

    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="staff_notices")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_notices"
    )
    session = models.ForeignKey(
        "treatments.TreatmentSession",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
    )
    alert = models.ForeignKey(
        "treatments.SessionAlert",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notices",
    )
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "treatments"
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["user", "clinic", "read_at"], name="notice_user_unread")]

    def __str__(self) -> str:
        return f"notice {self.pk} to {self.user_id}"
