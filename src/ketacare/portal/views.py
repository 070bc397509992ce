"""The patient's portal pages (every query starts from `request.patient`)."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

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
@require_http_methods(["GET", "POST"])
def help_now(request: PortalRequest) -> HttpResponse:
    """ "I need help now" from the bar or panel of any portal page: a high flag for the care
    team (`safety.patient_help`), answered with the clinic's crisis resources.

    Only a POST raises a flag; a GET (signed out meanwhile, then back here through sign-in)
    shows the help page, with the button.
    """
    from ketacare.portal.forms import HelpPageForm
    from ketacare.safety.patient_help import do_patient_help

    if request.method == "GET":
        return render(request, "portal/crisis.html")
    form = HelpPageForm(request.GET)
    # A bad `page` never holds up a call for help: the flag is raised without it (the audit
    # entry names the refused field) and the answer offers no way back.
    page = form.cleaned_data["page"] if form.is_valid() else ""
    pressed = do_patient_help(
        request.portal_actor,
        request.patient,
        f"the portal page {page}" if page else "the portal",
        {"invalid": sorted(form.errors)} if form.errors else None,
    )
    patient = request.patient
    response = render(
        request,
        "portal/help_sent.html",
        {
            "first_name": patient.preferred_name or patient.legal_given_name,
            "joined": not pressed.raised,
            "back_url": page if page and page != request.path else "",
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


@portal_patient_required
@require_GET
def progress(request: PortalRequest) -> HttpResponse:
    from ketacare.portal import progress as prog
    from ketacare.portal.access import portal_audit

    panels = prog.for_patient(request.patient)
    portal_audit(request, "portal.progress.viewed", detail={"scales": [p.code for p in panels]})
    return render(request, "portal/progress.html", {"panels": panels})


@portal_patient_required
@require_GET
def who_viewed(request: PortalRequest) -> HttpResponse:
    from ketacare.portal.access_log import access_log

    rows = access_log(request.patient)
    return render(request, "portal/who_viewed.html", {"rows": rows})


@portal_patient_required
@require_GET
def record(request: PortalRequest) -> HttpResponse:
    return render(request, "portal/record.html")


@portal_patient_required
@require_GET
def download(request: PortalRequest) -> HttpResponse:
    import json

    from ketacare.portal.access import portal_audit
    from ketacare.portal.export import patient_bundle

    bundle = patient_bundle(request.patient)
    portal_audit(
        request, "portal.record.downloaded", detail={"resources": len(bundle.get("entry", []))}
    )
    response = HttpResponse(
        json.dumps(bundle, indent=2), content_type="application/fhir+json; charset=utf-8"
    )
    response["Content-Disposition"] = 'attachment; filename="my-health-record.fhir.json"'
    return response


@portal_patient_required
@require_GET
def summary(request: PortalRequest) -> HttpResponse:
    from ketacare.portal import appointments, progress
    from ketacare.portal.access import portal_audit

    patient = request.patient
    portal_audit(request, "portal.record.summary_viewed")
    return render(
        request,
        "portal/summary.html",
        {
            "patient": patient,
            "diagnoses": patient.diagnoses.all(),
            "allergies": patient.allergies.filter(is_active=True),
            "panels": progress.for_patient(patient),
            "upcoming": appointments.upcoming(patient),
        },
    )
