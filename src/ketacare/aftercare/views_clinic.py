"""Clinic-wide aftercare pages: the therapist's caseload and integration gaps, the follow-up
list (booster may be due, relapse review tasks) and the aftercare settings.

Everything is queried through the active clinic; each listing is audited.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.aftercare.caseload import caseload, integration_gaps
from ketacare.aftercare.forms import AftercareSettingsForm
from ketacare.aftercare.models import AftercareSettings
from ketacare.aftercare.settings_store import do_set_aftercare_settings, settings_for
from ketacare.measures.scheduling import clinic_today


@staff_view(Perm.PATIENT_VIEW)
def caseload_page(request: ClinicRequest) -> HttpResponse:
    now = timezone.now()
    today = clinic_today(request.clinic, now)
    days = settings_for(request.clinic).integration_gap_days
    rows = caseload(request.clinic, request.user, now)
    gaps = integration_gaps(request.clinic, today, days)
    audit(
        request,
        "aftercare.caseload.listed",
        object_type="integration_note",
        detail={"caseload": len(rows), "gaps": len(gaps)},
    )
    return render(
        request,
        "aftercare/caseload.html",
        {"rows": rows, "gaps": gaps, "days": days, "today": today},
    )


@staff_view(Perm.CLINIC_SETTINGS)
def settings_page(request: ClinicRequest) -> HttpResponse:
    row = settings_for(request.clinic)
    if request.method == "POST":
        form = AftercareSettingsForm(
            request.POST, instance=AftercareSettings(clinic=request.clinic)
        )
        if form.is_valid():
            do_set_aftercare_settings(
                actor_from_request(request), request.clinic, form.cleaned_data
            )
            messages.success(request, "Aftercare settings saved.")
            return redirect("aftercare:settings")
    else:
        form = AftercareSettingsForm(instance=row)
    return render(request, "aftercare/settings.html", {"form": form, "row": row})
