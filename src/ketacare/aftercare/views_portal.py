"""The portal's wrappers around `patient_views`: the patient comes from the portal sign-in
(`portal_patient_required` → `request.patient`), never from the URL; writes and reads are
audited as the patient (`request.portal_actor`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse

from ketacare.aftercare import patient_views
from ketacare.portal.access import PortalRequest, portal_patient_required

BASE = "portal/base.html"


@portal_patient_required
def log(request: PortalRequest) -> HttpResponse:
    return patient_views.log_day(
        request,
        request.patient,
        base_template=BASE,
        actor=request.portal_actor,
        summary_url=reverse("aftercare_portal:week"),
    )


@portal_patient_required
def week(request: PortalRequest) -> HttpResponse:
    return patient_views.weekly_summary(
        request,
        request.patient,
        base_template=BASE,
        actor=request.portal_actor,
        log_url=reverse("aftercare_portal:log"),
    )
