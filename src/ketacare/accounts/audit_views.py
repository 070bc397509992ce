"""Browse, filter and export the clinic's audit log (admins and directors)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, time
from typing import Any

from django.core.paginator import Paginator
from django.db.models import Q, QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import AuditEntry, audit
from ketacare.accounts.forms import AuditFilterForm
from ketacare.accounts.models import Clinic
from ketacare.accounts.permissions import Perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core import csvsafe

FILTER_SESSION_KEY = "audit_filter"
PAGE_SIZE = 50


def clinic_entries(clinic: Clinic) -> QuerySet[AuditEntry]:
    """Entries of this clinic, plus sign-ins and sign-outs of the people who work here."""
    staff_ids = clinic.memberships.values_list("user_id", flat=True)
    return AuditEntry.objects.filter(
        Q(clinic_id=clinic.pk) | Q(clinic_id__isnull=True, actor_id__in=staff_ids)
    )


def filtered_entries(clinic: Clinic, filters: dict[str, str]) -> QuerySet[AuditEntry]:
    entries = clinic_entries(clinic)
    if filters.get("action"):
        entries = entries.filter(action__startswith=filters["action"])
    if filters.get("actor"):
        entries = entries.filter(actor_label__icontains=filters["actor"])
    if filters.get("outcome"):
        entries = entries.filter(outcome=filters["outcome"])
    if filters.get("mrn"):
        ids = clinic.patients.filter(mrn__iexact=filters["mrn"]).values_list("pk", flat=True)
        entries = entries.filter(patient_id__in=[str(pk) for pk in ids])
    tz = timezone.get_current_timezone()
    if filters.get("since"):
        day = datetime.fromisoformat(filters["since"]).date()
        entries = entries.filter(at__gte=datetime.combine(day, time.min, tzinfo=tz))
    if filters.get("until"):
        day = datetime.fromisoformat(filters["until"]).date()
        entries = entries.filter(at__lte=datetime.combine(day, time.max, tzinfo=tz))
    return entries.order_by("-seq")


def _patient_labels(clinic: Clinic, entries: list[AuditEntry]) -> dict[str, str]:
    ids = {e.patient_id for e in entries if e.patient_id}
    rows = clinic.patients.filter(pk__in=ids).values_list("pk", "mrn")
    return {str(pk): mrn for pk, mrn in rows}


@staff_view(Perm.AUDIT_VIEW)
@require_http_methods(["GET", "POST"])
def audit_log(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    # Filters (which may name a patient) are posted and kept in the session, not the URL.
    if request.method == "POST":
        if "clear" in request.POST:
            request.session.pop(FILTER_SESSION_KEY, None)
            return redirect("accounts:audit")
        form = AuditFilterForm(request.POST)
        if form.is_valid():
            request.session[FILTER_SESSION_KEY] = {
                k: (v.isoformat() if hasattr(v, "isoformat") else v)
                for k, v in form.cleaned_data.items()
                if v
            }
            return redirect("accounts:audit")
    else:
        form = AuditFilterForm(initial=request.session.get(FILTER_SESSION_KEY, {}))
    filters = request.session.get(FILTER_SESSION_KEY, {})
    page = Paginator(filtered_entries(clinic, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    labels = _patient_labels(clinic, entries)
    audit(request, "audit.log.viewed", detail={"filters": sorted(filters), "page": page.number})
    return render(
        request,
        "accounts/audit.html",
        {
            "form": form,
            "page": page,
            "rows": [(e, labels.get(e.patient_id, "")) for e in entries],
            "filtered": bool(filters),
        },
    )


class _Echo:
    def write(self, value: str) -> str:
        return value


@staff_view(Perm.AUDIT_EXPORT)
def audit_export(request: ClinicRequest) -> StreamingHttpResponse:
    clinic = request.clinic
    filters = request.session.get(FILTER_SESSION_KEY, {})
    entries = filtered_entries(clinic, filters)
    audit(
        request, "audit.log.exported", detail={"filters": sorted(filters), "rows": entries.count()}
    )
    mrns = {str(pk): mrn for pk, mrn in clinic.patients.values_list("pk", "mrn")}

    def rows() -> Iterator[Any]:
        writer = csv.writer(_Echo())
        yield writer.writerow(
            [
                "seq",
                "at",
                "user",
                "role",
                "action",
                "object_type",
                "object_id",
                "patient_mrn",
                "client_ip",
                "outcome",
                "detail",
                "entry_hash",
            ]
        )
        for e in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                csvsafe.row(
                    [
                        e.seq,
                        e.at.isoformat(),
                        e.actor_label,
                        e.actor_role,
                        e.action,
                        e.object_type,
                        e.object_id,
                        mrns.get(e.patient_id, ""),
                        e.client_ip,
                        e.outcome,
                        e.detail,
                        e.entry_hash,
                    ]
                )
            )

    response = StreamingHttpResponse(rows(), content_type="text/csv")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{clinic.slug}-{stamp}.csv"'
    return response
