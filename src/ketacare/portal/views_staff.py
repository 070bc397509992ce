"""Staff side of the portal on a patient's chart: invite, re-invite, switch off."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core import submission
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.patients.access import access_patient
from ketacare.portal import signin
from ketacare.portal.models import PortalAccount


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def portal_access(request: ClinicRequest, patient_id: str) -> HttpResponse:
    perm = Perm.PATIENT_EDIT_DEMOGRAPHICS if request.method == "POST" else Perm.PATIENT_VIEW
    patient = access_patient(request, patient_id, perm)
    account = PortalAccount.objects.select_related("user").filter(patient=patient).first()
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "invite":
                here = reverse("portal_staff:access", args=[patient.pk])
                where = submission.scope(signin.ONCE_INVITE, patient.pk)
                once, first = submission.page_key(request, where)
                if first:
                    return already_saved(request, here)
                try:
                    signin.do_invite(
                        actor_from_request(request), patient, invited_by=request.user, once=once
                    )
                except AlreadySaved:
                    return already_saved(request, here)
                messages.success(request, f"Invitation emailed to {patient.email}.")
                return redirect(here)
            if action == "deactivate" and account is not None:
                signin.do_deactivate(actor_from_request(request), account)
                messages.success(request, "Portal access switched off.")
                return redirect("portal_staff:access", patient_id=patient.pk)
            messages.error(request, "action: choose invite or switch off.")
            status = 400
        except ActionError as problem:
            messages.error(request, f"{problem.field}: {problem.message}")
            status = 400
    return render(
        request,
        "portal_staff/access.html",
        {"patient": patient, "account": account},
        status=status,
    )
