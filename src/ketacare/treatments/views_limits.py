"""/chairs/limits/: the clinic's vitals and alert limits.

Every staff member may read them (the chair works by them); the clinic admin and director
change them (`treatments.monitoring_limits`). Each field shows its default and its source, and
the fields the reference marks as practice variation say so. One POST = one transaction in
`limits.do_set_limits`, audited with every old and new value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import require, staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.treatments.limits import SPECS, clinic_monitoring
from ketacare.treatments.models import ClinicMonitoringSettings


def _problems(error: ActionError | None) -> list[tuple[str, str]]:
    """Every (field, message) of a refusal: all fields at fault, or the one."""
    if error is None:
        return []
    return list(getattr(error, "problems", None) or [(error.field, error.message)])


def _rows(values: Mapping[str, Any], error: ActionError | None) -> list[dict[str, Any]]:
    by_field = dict(reversed(_problems(error)))  # the first message of a field wins
    rows = []
    for spec in SPECS:
        value = values.get(spec.name)
        rows.append(
            {
                "spec": spec,
                "value": "" if value is None else value,
                "error": by_field.get(spec.name, ""),
                "changed": str("" if value is None else value)
                != str("" if spec.default is None else spec.default),
            }
        )
    return rows


@staff_view()
@require_http_methods(["GET", "POST"])
def limits_page(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    can_edit = has_perm(getattr(request, "membership", None), Perm.MONITORING_LIMITS)
    error: ActionError | None = None
    values: Mapping[str, Any] = clinic_monitoring(clinic).as_dict()
    status = 200
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        require(request, Perm.MONITORING_LIMITS)
        values = {spec.name: request.POST.get(spec.name, "") for spec in SPECS}
        try:
            from ketacare.treatments.limits import do_set_limits

            changes = do_set_limits(actor_from_request(request), clinic, request.POST)
        except ActionError as exc:
            error, status = exc, 400
        else:
            messages.success(
                request,
                f"Saved {len(changes)} change(s). Sessions already past their pre-dose checks "
                "keep the limits they started with."
                if changes
                else "Nothing changed.",
            )
            return HttpResponseRedirect(reverse("chairs:limits"))
    row = ClinicMonitoringSettings.objects.filter(clinic=clinic).select_related("updated_by")
    context = {
        "rows": _rows(values, error),
        "problems": [message for _, message in _problems(error)],
        "reason": reason,
        "reason_error": dict(_problems(error)).get("reason", ""),
        "can_edit": can_edit,
        "saved": row.first(),
    }
    return render(request, "treatments/limits.html", context, status=status)
