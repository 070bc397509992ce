"""The clinic admin's eligibility policy page: the severity of every rule on every route.

Defaults come from `clinical.eligibility` (shared/reference/clinical.md); the clinic's changes
are stored as `EligibilityPolicy.changes()`. A rule can be made stricter freely; lowering a
locked rule (the esketamine label/REMS floor) is refused with the engine's own message.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request, audit
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.eligibility import DEFAULT_SEVERITIES, RULES, EligibilityPolicy
from ketacare.clinical.findings import Route, Severity
from ketacare.evaluations import actions
from ketacare.evaluations.engine import policy_for
from ketacare.evaluations.models import ClinicEligibilityPolicy

SEVERITY_LABELS = {
    Severity.HARD_STOP: "Hard stop",
    Severity.RELATIVE: "Relative",
    Severity.CAUTION: "Caution",
    Severity.INFO: "Info",
}


def _rows(policy: EligibilityPolicy, posted: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for code, rule in RULES.items():
        cells: list[dict[str, Any] | None] = []
        for route in Route:
            spec = rule.spec(route)
            if spec is None or (route, code) not in DEFAULT_SEVERITIES:
                cells.append(None)
                continue
            name = f"{route.value}.{code}"
            cells.append(
                {
                    "name": name,
                    "value": posted.get(name, policy.severity(route, code).value),
                    "default": spec.severity.value,
                    "locked": spec.locked,
                    "source": spec.source,
                    "changed": policy.severity(route, code) is not spec.severity,
                }
            )
        rows.append({"code": code, "title": rule.title, "cells": cells})
    return rows


@staff_view(Perm.EVALUATION_POLICY)
@require_http_methods(["GET", "POST"])
def policy(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    error: ActionError | None = None
    posted: dict[str, str] = {}
    if request.method == "POST":
        posted = {
            key: str(value)
            for key, value in request.POST.items()
            if "." in key and key != "csrfmiddlewaretoken"
        }
        current = policy_for(clinic)
        severities = {
            (route.value, code): current.severity(route, code).value
            for (route, code) in DEFAULT_SEVERITIES
        }
        for key, value in posted.items():
            route_name, _, code = key.partition(".")
            severities[(route_name, code)] = value
        try:
            actions.do_set_policy(actor_from_request(request), clinic, severities)
        except ActionError as problem:
            error = problem
        else:
            messages.success(request, "Eligibility policy saved.")
            return redirect("evaluations_clinic:policy")
    else:
        audit(request, "evaluations.policy.viewed", object_type="clinic", object_id=clinic.pk)
    stored = ClinicEligibilityPolicy.objects.filter(clinic=clinic).first()
    return render(
        request,
        "evaluations/policy.html",
        {
            "routes": list(Route),
            "rows": _rows(policy_for(clinic), posted),
            "severities": list(SEVERITY_LABELS.items()),
            "stored": stored,
            "error": error,
        },
        status=400 if error else 200,
    )
