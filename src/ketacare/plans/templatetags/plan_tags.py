"""The treatment-plan section of the chart: the open plan, or how to start one."""

from __future__ import annotations

from typing import Any

from django import template
from django.db.models import Case, When

from ketacare.accounts.permissions import Perm, has_perm
from ketacare.clinical.scales import SCALES
from ketacare.patients.models import Patient
from ketacare.plans.actions import OPEN_STATUSES, plan_protocol
from ketacare.plans.models import TreatmentPlan

register = template.Library()


@register.inclusion_tag("plans/_chart_section.html", takes_context=True)
def plan_section(context: template.Context, patient: Patient) -> dict[str, Any]:
    from ketacare.plans.views import eligible_routes, frequency_text

    request = context.get("request")
    # One query: the open plan if there is one, else the latest closed one.
    found = (
        TreatmentPlan.objects.filter(patient=patient)
        .select_related("signed_by")
        .annotate(open=Case(When(status__in=OPEN_STATUSES, then=1), default=0))
        .order_by("-open", "-created_at")
        .first()
    )
    plan = found if found is not None and found.is_open else None
    out: dict[str, Any] = {
        "patient": patient,
        "plan": plan,
        "can_write": has_perm(getattr(request, "membership", None), Perm.PLAN_WRITE),
    }
    if plan is not None:
        protocol = plan_protocol(plan)
        out["protocol"] = protocol
        out["phase_label"] = protocol.phase(plan.phase).label
        out["frequency"] = frequency_text(plan)
        out["targets"] = [
            f"{SCALES[t['scale']].name.split(' (')[0] if t['scale'] in SCALES else t['scale']}"
            f" < {t['target']}"
            for t in plan.targets or []
        ]
    else:
        out["last"] = found
        out["routes"] = eligible_routes(patient)
    return out


@register.filter
def protocol_name(plan: TreatmentPlan) -> str:
    """The name of the protocol version the plan was written under (its code if unknown)."""
    try:
        return plan_protocol(plan).name
    except (KeyError, ValueError):
        return plan.protocol_code


@register.filter
def phase_label(plan: TreatmentPlan, code: str | None = None) -> str:
    """The label of the plan's phase (or of the phase `code` of its protocol)."""
    code = code or plan.phase
    try:
        return plan_protocol(plan).phase(code).label
    except (KeyError, ValueError):
        return code
