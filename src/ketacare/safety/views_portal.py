"""The patient's own safety plan in the portal (mounted at /portal/safety-plan/), and the
"I need help now" button of the safety-plan link page (`/sp/<token>/help/`).

The patient comes from the portal sign-in (`request.patient`), never from the URL; only the
current (newest) version is shown, with the crisis lines on top. Each read is audited as the
patient. (The portal page's help button is the portal's own, in its crisis bar and panel.)"""

from __future__ import annotations

import logging
from typing import Any

from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import client_ip
from ketacare.measures.selfreport_views import token_credential
from ketacare.portal.access import PortalRequest, portal_audit, portal_patient_required
from ketacare.portal.home_cards import Card
from ketacare.safety.patient_help import do_plan_link_help, plan_link_for_help
from ketacare.safety.plan_views import _private as private_page
from ketacare.safety.portal import plan_steps, safety_plan_context, safety_plan_for_patient
from ketacare.safety.resources import country_context, crisis_context

logger = logging.getLogger("ketacare.safety")


@portal_patient_required
def safety_plan(request: PortalRequest) -> HttpResponse:
    plan = safety_plan_for_patient(request.patient)
    portal_audit(
        request,
        "portal.safety_plan.viewed",
        object_type="safety_plan",
        object_id=plan.pk if plan else "",
        detail={"version": plan.version if plan else None},
    )
    response = render(
        request,
        "safety/portal_plan.html",
        {"plan": plan, "plan_steps": plan_steps(plan)},
    )
    response["Cache-Control"] = "private, no-store"
    return response


def safety_plan_card(request: Any) -> Card | None:
    """A home-page card, only when the patient has a plan to look at."""
    if safety_plan_for_patient(request.patient) is None:
        return None
    return Card(
        "My safety plan",
        "The steps you wrote with your care team, for when things get hard.",
        reverse("safety_portal:plan"),
        "Open my safety plan",
        15,
    )


# No CSRF check: the token in the address is the credential (`token_credential`), and a
# check could only refuse a patient's press from a page whose CSRF token went stale.
@token_credential
@require_http_methods(["GET", "POST"])
def plan_link_help(request: HttpRequest, token: str) -> HttpResponse:
    """ "I need help now" on the safety-plan link: a high flag for the care team (even when the
    link has expired since the page was opened), then the crisis resources. A GET (the address
    reopened) raises nothing and goes back to the link's page, crisis lines on top."""
    if request.method == "GET":
        return private_page(redirect("safety_plan_public:plan", token=token))
    link = plan_link_for_help(token)
    # A press that reached nobody says so: the patient must not wait for a call.
    not_sent = {"help_not_sent": True}
    if link is None:  # unknown: no flag, the lines of the installation
        context = {**safety_plan_context(None), **not_sent}
        return private_page(render(request, "safety/public_plan.html", context, status=404))
    clinic = link.patient.clinic
    try:
        do_plan_link_help(link, client_ip(request))
    except ActionError:  # revoked: no flag; the lines of the clinic's country, no clinic named
        context = {**safety_plan_context(None), **country_context(clinic), **not_sent}
        return private_page(render(request, "safety/public_plan.html", context, status=404))
    except DatabaseError:  # a lock timeout, a lost connection: say so, never a bare 500
        logger.exception("A help press on safety-plan link %s was not recorded", link.pk)
        context = {**safety_plan_context(None), **crisis_context(clinic), **not_sent}
        context["clinic_name"] = clinic.name
        return private_page(render(request, "safety/public_plan.html", context, status=503))
    context = {
        **crisis_context(clinic),
        "clinic_name": clinic.name,
        "back_url": reverse("safety_plan_public:plan", args=[token]) if link.is_usable else "",
    }
    return private_page(render(request, "safety/public_plan_help.html", context))
