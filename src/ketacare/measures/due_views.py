"""The clinic-wide list of questionnaires due today and overdue (/measures/due/).

Filters are posted and kept in the session (no patient data in query strings; only the page
number travels in the URL). The list is one indexed query on DueAssessment (clinic, status,
due_on) with the patient joined, plus the page count: the same few queries for 20 or 20,000
patients.
"""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import audit
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.scales import SCALES
from ketacare.measures.models import DueAssessment, DueStatus
from ketacare.measures.scheduling import clinic_today

SESSION_KEY = "due_list_filters"
PAGE_SIZE = 50
STATES = (
    ("all", "Due and overdue"),
    ("due", "Due, not yet overdue"),
    ("overdue", "Overdue"),
)


class DueFilterForm(forms.Form):
    scale = forms.ChoiceField(
        label="Questionnaire",
        required=False,
        choices=[("", "All questionnaires"), *((s.code, s.name) for s in SCALES.values())],
    )
    state = forms.ChoiceField(label="State", required=False, choices=STATES)


def due_items(clinic: Clinic, today: date, scale: str = "", state: str = "all") -> QuerySet:
    """Open items due by `today` in this clinic, oldest first (overdue at the top)."""
    items = DueAssessment.objects.filter(clinic=clinic, status=DueStatus.OPEN, due_on__lte=today)
    if state == "overdue":
        items = items.filter(overdue_on__lte=today)
    elif state == "due":
        items = items.filter(overdue_on__gt=today)
    if scale:
        items = items.filter(scale_code=scale)
    return (
        items.select_related("patient")
        .only(
            "pk",
            "scale_code",
            "due_on",
            "overdue_on",
            "reason",
            "last_reminded_at",
            "patient__id",
            "patient__mrn",
            "patient__legal_given_name",
            "patient__legal_family_name",
            "patient__preferred_name",
        )
        .order_by("due_on", "patient__legal_family_name", "patient__legal_given_name", "pk")
    )


@staff_view(Perm.PATIENT_VIEW)
@require_http_methods(["GET", "POST"])
def due_list(request: ClinicRequest) -> HttpResponse:
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(SESSION_KEY, None)
            return redirect("measures_clinic:due")
        form = DueFilterForm(request.POST)
        if form.is_valid():
            request.session[SESSION_KEY] = {
                "scale": form.cleaned_data["scale"],
                "state": form.cleaned_data["state"] or "all",
            }
            return redirect("measures_clinic:due")
    saved = request.session.get(SESSION_KEY, {})
    form = DueFilterForm(initial=saved)
    scale, state = saved.get("scale", ""), saved.get("state", "all")
    today = clinic_today(request.clinic)
    page = Paginator(due_items(request.clinic, today, scale, state), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    rows = [
        (item, "overdue" if item.overdue_on <= today else "due", SCALES.get(item.scale_code))
        for item in page.object_list
    ]
    audit(
        request,
        "measures.due_list.viewed",
        detail={
            "scale": scale,
            "state": state,
            "page": page.number,
            "results": page.paginator.count,
        },
    )
    return render(
        request,
        "measures_clinic/due_list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "today": today,
            "filtered": bool(scale) or state != "all",
            "can_send": has_perm(request.membership, Perm.SELF_REPORT_SEND),
        },
    )
