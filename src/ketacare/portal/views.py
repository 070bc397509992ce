"""The patient's portal pages (every query starts from `request.patient`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ketacare.portal.access import PortalRequest, portal_patient_required


@portal_patient_required
@require_GET
def home(request: PortalRequest) -> HttpResponse:
    from ketacare.portal import home_cards

    patient = request.patient
    return render(
        request,
        "portal/home.html",
        {
            "first_name": patient.preferred_name or patient.legal_given_name,
            "cards": home_cards.cards_for(request),
        },
    )


@portal_patient_required
@require_GET
def crisis(request: PortalRequest) -> HttpResponse:
    return render(request, "portal/crisis.html")


@portal_patient_required
@require_GET
def progress(request: PortalRequest) -> HttpResponse:
    from ketacare.portal import progress as prog
    from ketacare.portal.access import portal_audit

    panels = prog.for_patient(request.patient)
    portal_audit(request, "portal.progress.viewed", detail={"scales": [p.code for p in panels]})
    return render(request, "portal/progress.html", {"panels": panels})
