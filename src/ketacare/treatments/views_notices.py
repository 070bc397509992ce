"""/chairs/notices/: the signed-in staff member's notices in this clinic (escalated alerts)."""

from __future__ import annotations

from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import audit
from ketacare.accounts.request import ClinicRequest
from ketacare.treatments.models import StaffNotice


@staff_view()
def notice_list(request: ClinicRequest) -> HttpResponse:
    notices = list(
        StaffNotice.objects.filter(user=request.user, clinic=request.clinic)
        .select_related("session__patient", "alert")
        .order_by("-created_at", "-pk")[:100]
    )
    audit(request, "treatments.notices.viewed", detail={"notices": len(notices)})
    return render(request, "treatments/notices.html", {"notices": notices})


@staff_view()
@require_POST
def mark_read(request: ClinicRequest, notice_id: int) -> HttpResponse:
    updated = StaffNotice.objects.filter(
        pk=notice_id,
        user=request.user,
        clinic=request.clinic,
        read_at__isnull=True,
    ).update(read_at=timezone.now())
    if (
        not updated
        and not StaffNotice.objects.filter(
            pk=notice_id,
            user=request.user,
            clinic=request.clinic,
        ).exists()
    ):
        raise Http404("No such notice.")
    audit(request, "treatments.notice.read", object_type="notice", object_id=notice_id)
    return HttpResponseRedirect(reverse("chairs:notices"))
