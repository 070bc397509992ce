"""The patient's portal pages (every query starts from `request.patient`)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_http_methods

from ketacare.portal.access import PortalRequest, portal_patient_required
from ketacare.portal.models import PortalAccount


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


@require_http_methods(["GET", "POST"])
def help_now(request: HttpRequest) -> HttpResponseBase:
    """ "I need help now" from the bar or panel of any portal page: a high flag for the care
    team (`safety.patient_help`), answered with the clinic's crisis resources.

    Only a POST raises a flag. Signed in: for the signed-in patient. Signed out — the press
    itself met the idle sign-out, or the session ended otherwise — the form's ticket
    (`portal.help_ticket`) still raises it for the patient whose page it was; without a valid
    ticket the patient is sent to sign in. A GET shows the help page, with the button.
    """
    if request.method == "POST" and not request.user.is_authenticated:
        from ketacare.portal.help_ticket import account_for_ticket

        account = account_for_ticket(request.POST.get("ticket", ""))
        if account is not None:
            return _help_signed_out(request, account)
    return _help_signed_in(request)  # type: ignore[arg-type]  # the decorator sets its fields


@portal_patient_required
def _help_signed_in(request: PortalRequest) -> HttpResponse:
    from ketacare.safety.patient_help import do_patient_help

    if request.method == "GET":
        return render(request, "portal/crisis.html")
    page, problems = _pressed_on(request)
    pressed = do_patient_help(
        request.portal_actor,
        request.patient,
        f"the portal page {page}" if page else "the portal",
        problems,
    )
    patient = request.patient
    return _help_sent(
        request,
        {
            "first_name": patient.preferred_name or patient.legal_given_name,
            "joined": not pressed.raised,
            "back_url": page if page and page != request.path else "",
        },
    )


def _help_signed_out(request: HttpRequest, account: PortalAccount) -> HttpResponse:
    """The press of a patient signed out meanwhile: raised from the ticket; the answer names
    nobody (a shared device) and offers sign-in, not a way back into the portal."""
    from ketacare.portal.access import client_ip
    from ketacare.portal.signin import patient_actor
    from ketacare.safety.patient_help import do_patient_help

    page, problems = _pressed_on(request)
    pressed = do_patient_help(
        patient_actor(account, client_ip(request)),
        account.patient,
        f"the portal page {page} (signed out meanwhile)" if page else "the portal (signed out)",
        {**(problems or {}), "signed_out": True},
    )
    request.portal_clinic = account.patient.clinic  # type: ignore[attr-defined]
    return _help_sent(request, {"first_name": "", "joined": not pressed.raised, "signed_out": True})


def _pressed_on(request: HttpRequest) -> tuple[str, dict[str, Any] | None]:
    """Where the button was pressed, for the flag's reason. A bad `page` never holds up a call
    for help: the flag is raised without it and the audit entry names the refused field."""
    from ketacare.portal.forms import HelpPageForm

    form = HelpPageForm(request.GET)
    page = form.cleaned_data["page"] if form.is_valid() else ""
    return page, ({"invalid": sorted(form.errors)} if form.errors else None)


def _help_sent(request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    response = render(request, "portal/help_sent.html", context)
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
