"""The patient's own safety plan in the portal (mounted at /portal/safety-plan/).

The patient comes from the portal sign-in (`request.patient`), never from the URL; only the
current (newest) version is shown, with the crisis lines on top. Each read is audited as the
patient."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from ketacare.portal.access import PortalRequest, portal_audit, portal_patient_required
from ketacare.portal.home_cards import Card
from ketacare.safety.portal import plan_steps, safety_plan_for_patient


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
