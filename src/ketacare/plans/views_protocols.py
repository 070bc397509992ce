"""The clinic's protocol library (mounted at /protocols/): the list, one protocol with every
part and its source, the version history, the admin's edit form and the withdraw toggle.

Every staff role may read; only Perm.PROTOCOL_EDIT may change. Everything is read through the
active clinic, so another clinic's versions are never shown.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import actor_from_request
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.clinical.protocols import LIBRARY, Protocol
from ketacare.core import submission
from ketacare.core.submission import AlreadySaved, already_saved
from ketacare.plans import protocols
from ketacare.plans.models import ClinicProtocol
from ketacare.plans.protocol_forms import AvailabilityForm, ProtocolEditForm, field_name

KIND_LABELS = {
    "mg_per_kg": "mg per kg of body weight",
    "mg_per_kg_per_hour": "mg per kg per hour (infusion)",
    "fixed_mg": "fixed mg, whatever the weight",
    "devices_28mg": "28 mg esketamine nasal devices",
}
INDICATION_LABELS = {
    "trd": "treatment-resistant depression",
    "mdd_suicidal_ideation": "MDD with acute suicidal ideation or behaviour",
    "ptsd": "PTSD",
    "anxiety": "anxiety",
    "chronic_pain": "chronic pain (CRPS)",
    "other": "other",
}


def _protocol(request: ClinicRequest, code: str) -> Protocol:
    if code not in LIBRARY:
        raise Http404("No such protocol.")
    return protocols.clinic_protocol(request.clinic, code)


def _to(code: str, anchor: str = "") -> HttpResponse:
    url = reverse("plans_clinic:detail", args=[code])
    return HttpResponseRedirect(url + (f"#{anchor}" if anchor else ""))


@staff_view()
def protocol_list(request: ClinicRequest) -> HttpResponse:
    latest: dict[str, ClinicProtocol] = {}
    for row in ClinicProtocol.objects.filter(clinic=request.clinic).order_by("code", "-version"):
        latest.setdefault(row.code, row)
    rows = []
    for code in LIBRARY:
        found = latest.get(code)
        protocol = (
            protocols.build_protocol(code, found.version, found.changes, found.reason)
            if found
            else LIBRARY[code]
        )
        rows.append(
            {
                "p": protocol,
                "indication": INDICATION_LABELS.get(protocol.indication.value, ""),
                "available": found is None or found.available,
            }
        )
    return render(request, "plans/protocol_list.html", {"rows": rows})


def _history(request: ClinicRequest, code: str) -> list[dict[str, Any]]:
    """Every stored version, newest first, with what changed from the version before."""
    rows = list(reversed(protocols.protocol_history(request.clinic, code)))
    out: list[dict[str, Any]] = []
    before: dict[str, Any] = {}
    available_before = True
    for row in rows:
        changed = [
            (path, before.get(path, "library default"), row.changes.get(path, "library default"))
            for path in sorted(set(before) | set(row.changes))
            if before.get(path) != row.changes.get(path)
        ]
        if row.available != available_before:
            changed.append(
                ("available", "yes" if available_before else "no", "yes" if row.available else "no")
            )
        out.append({"row": row, "changed": changed})
        before, available_before = dict(row.changes), row.available
    return list(reversed(out))


def _detail_page(
    request: ClinicRequest,
    code: str,
    *,
    availability_form: AvailabilityForm | None = None,
    status: int = 200,
) -> HttpResponse:
    protocol = _protocol(request, code)
    row = protocols.latest_edit(request.clinic, code)
    available = row is None or row.available
    context = {
        "p": protocol,
        "kind_label": KIND_LABELS.get(protocol.dose.kind.value, protocol.dose.kind.value),
        "indication_label": INDICATION_LABELS.get(
            protocol.indication.value, protocol.indication.value
        ),
        "available": available,
        "history": _history(request, code),
        "can_edit": has_perm(request.membership, Perm.PROTOCOL_EDIT),
        "availability_form": availability_form
        or AvailabilityForm(initial={"available": "0" if available else "1"}),
    }
    return render(request, "plans/protocol_detail.html", context, status=status)


@staff_view()
def protocol_detail(request: ClinicRequest, code: str) -> HttpResponse:
    return _detail_page(request, code)


@staff_view(Perm.PROTOCOL_EDIT)
@require_http_methods(["GET", "POST"])
def protocol_edit(request: ClinicRequest, code: str) -> HttpResponse:
    protocol = _protocol(request, code)
    history = reverse("plans_clinic:detail", args=[code]) + "#history"
    once = ""
    if request.method == "POST":
        once, first = submission.page_key(request, protocols.once_scope(request.clinic, code))
        if first:  # before comparing with the version the first press stored ("nothing changed")
            return already_saved(request, history)
    form = ProtocolEditForm(protocol, request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                row = protocols.do_edit_protocol(
                    actor_from_request(request),
                    request.clinic,
                    code,
                    form.changes(),
                    form.cleaned_data["reason"],
                    once=once,
                )
            except AlreadySaved:
                return already_saved(request, history)
            except ActionError as problem:
                name = problem.field if problem.field == "reason" else field_name(problem.field)
                form.add_error(name if name in form.fields else None, problem.message)
            else:
                messages.success(request, f"Version {row.version} saved.")
                return _to(code, "history")
    return render(request, "plans/protocol_edit.html", {"p": protocol, "form": form}, status=status)


@staff_view(Perm.PROTOCOL_EDIT)
@require_POST
def protocol_availability(request: ClinicRequest, code: str) -> HttpResponse:
    _protocol(request, code)
    form = AvailabilityForm(request.POST)
    if form.is_valid():
        try:
            row = protocols.do_set_available(
                actor_from_request(request),
                request.clinic,
                code,
                form.cleaned_data["available"],
                form.cleaned_data["reason"],
            )
        except ActionError as problem:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(
                request,
                "Offered for new plans again."
                if row.available
                else "Withdrawn from new plans; existing plans keep their version.",
            )
            return _to(code)
    return _detail_page(request, code, availability_form=form, status=400)
