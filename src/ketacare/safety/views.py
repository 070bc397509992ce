"""Staff pages for risk flags: the open-flag list, the banner poll, one flag (acknowledge,
resolve), my notifications (one inbox with the chair notices), a manual flag on a chart, and
the clinic's safety settings and rota."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from ketacare.accounts.access import require, staff_view
from ketacare.accounts.actions import ActionError
from ketacare.accounts.audit import Outcome, actor_from_request, audit
from ketacare.accounts.permissions import Perm, has_perm
from ketacare.accounts.request import ClinicRequest
from ketacare.core.form_errors import add_refusal
from ketacare.notify.models import NotificationLog
from ketacare.patients.access import access_patient
from ketacare.safety import inbox
from ketacare.safety.actions import do_raise_flag
from ketacare.safety.banner import acknowledged_flags, audit_shown, banner_for, open_flags
from ketacare.safety.crisis_actions import crisis_of
from ketacare.safety.escalation import do_acknowledge, flag_reference
from ketacare.safety.escalation_models import (
    WEEKDAYS,
    EscalationContact,
    EscalationEvent,
    FlagEscalation,
    OnCallOverride,
    OnCallSlot,
    StaffAlertContact,
)
from ketacare.safety.forms import (
    PAGEABLE_HINT,
    AcknowledgeForm,
    ManualFlagForm,
    OnCallOverrideForm,
    OnCallSlotForm,
    ResolveForm,
    SafetySettingsForm,
    clinic_clinicians,
    clinic_staff,
)
from ketacare.safety.models import FlagSource, FlagStatus, RiskFlag, RiskLevel
from ketacare.safety.resolve import (
    RESOLVE_PERM,
    do_resolve_flag,
    resolve_refusal,
    screened_since,
)
from ketacare.safety.rota import (
    on_call_at,
    paged_without_mobile,
    settings_for,
    weekly_gaps,
)

LIST_SLOTS = 6


def _clinic_flag(request: ClinicRequest, flag_id: int) -> RiskFlag:
    flag = (
        RiskFlag.objects.filter(pk=flag_id, patient__clinic=request.clinic)
        .select_related(
            "patient", "raised_by", "acknowledged_by", "resolved_by", "assessment", "crisis_record"
        )
        .first()
    )
    if flag is None:
        other = _my_other_clinic(request, flag_id)
        if other is not None:
            raise OtherClinicFlag(other)
        audit(
            request,
            "safety.flag.access_refused",
            outcome=Outcome.DENIED,
            object_type="risk_flag",
            object_id=flag_id,
        )
        raise Http404("No such flag.")
    return flag


class OtherClinicFlag(Exception):
    """The flag belongs to another clinic the person works at (the link in a page they got
    while signed in to a different clinic): offer to switch rather than answer 404."""

    def __init__(self, clinic: Any):
        super().__init__(clinic.pk)
        self.clinic = clinic


def _my_other_clinic(request: ClinicRequest, flag_id: int) -> Any:
    from ketacare.accounts.models import Clinic

    return Clinic.objects.filter(
        patients__risk_flags__pk=flag_id,
        memberships__user=request.user,
        memberships__is_active=True,
    ).first()


def _switch_page(request: ClinicRequest, flag_id: int, clinic: Any) -> HttpResponse:
    audit(
        request,
        "safety.flag.other_clinic",
        object_type="risk_flag",
        object_id=flag_id,
        detail={"clinic": clinic.pk},
    )
    context = {"clinic": clinic, "next": reverse("safety:flag", args=[flag_id])}
    return render(request, "safety/other_clinic.html", context, status=409)


# --- the banner and the lists -----------------------------------------------------------------


@staff_view()
@require_GET
def banner(request: ClinicRequest) -> JsonResponse:
    """Polled by safety.js (header X-KetaCare-Passive, so it never keeps a session alive)."""
    found = banner_for(request.clinic, request.user, getattr(request, "memberships", ()))
    audit_shown(request, found, via="poll")
    html = render_to_string("safety/_banner.html", {"risk_banner": found}, request=request)
    data: dict[str, Any] = {
        "count": found.count,
        "unread": found.unread,
        "chair_unread": found.chair_unread,
        "inbox_unread": found.inbox_unread,
        "html": html,
    }
    if request.GET.get("ids") == "1":  # every open flag's id (newest first; tools, benchmarks)
        data["ids"] = list(
            open_flags(request.clinic).order_by("-raised_at").values_list("pk", flat=True)[:1000]
        )
    response = JsonResponse(data)
    response["Cache-Control"] = "no-store"
    return response


LIST_LIMIT = 500  # rows on the page; the page says when more are open


@staff_view()
@require_GET
def open_list(request: ClinicRequest) -> HttpResponse:
    flags = open_flags(request.clinic)
    level = request.GET.get("level", "")
    status = 200
    problem = ""
    if level in ("high", "moderate", "low"):
        flags = flags.filter(level=level)
    elif level:  # a mistyped filter must not pass for "all levels" without saying so
        problem = f"'{level[:20]}' is not a level: choose High, Moderate or Low. Showing all."
        level, status = "", 400
    now = timezone.now()
    total = flags.count()
    rows = [(f, now - f.raised_at) for f in flags.select_related("escalation")[:LIST_LIMIT]]
    # Acknowledged but not resolved: off the banner, still active (a crisis record to close,
    # a C-SSRS screen awaited). A director must see these age too, not only the open ones.
    pending = acknowledged_flags(request.clinic)
    if level:
        pending = pending.filter(level=level)
    pending_total = pending.count()
    pending_rows = [
        (f, now - f.raised_at)
        for f in pending.select_related(
            "acknowledged_by", "crisis_record", "joined_crisis__crisis"
        )[:LIST_LIMIT]
    ]
    audit(
        request,
        "safety.flags.listed",
        detail={
            "level": level,
            "count": len(rows),
            "open": total,
            "acknowledged_unresolved": pending_total,
        },
    )
    context = {
        "rows": rows,
        "level": level,
        "problem": problem,
        "total": total,
        "pending_rows": pending_rows,
        "pending_total": pending_total,
        "on_call": on_call_at(request.clinic, now),
    }
    return render(request, "safety/open_list.html", context, status=status)


@staff_view()
@require_http_methods(["GET", "POST"])
def notifications(request: ClinicRequest) -> HttpResponse:
    """The person's one inbox here: risk-flag notifications and notices from the chairs."""
    if request.method == "POST":
        marked = inbox.mark_all_read(request.clinic, request.user, timezone.now())
        audit(request, "safety.notifications.marked_read", detail=marked)
        messages.success(request, "Everything here is marked as read.")
        return redirect("safety:notifications")
    found = inbox.inbox_for(request.clinic, request.user)
    audit(
        request,
        "safety.notifications.viewed",
        detail={"shown": len(found.items), "unread": found.unread},
    )
    return render(request, "safety/notifications.html", {"inbox": found})


# --- one flag ---------------------------------------------------------------------------------


@staff_view()
@require_http_methods(["GET", "POST"])
def flag_detail(request: ClinicRequest, flag_id: int) -> HttpResponse:
    try:
        flag = _clinic_flag(request, flag_id)
    except OtherClinicFlag as other:
        return _switch_page(request, flag_id, other.clinic)
    form = AcknowledgeForm(request.POST or None)
    if request.method == "POST":
        require(request, Perm.SAFETY_FLAG_ACKNOWLEDGE)
        if form.is_valid():
            try:
                do_acknowledge(
                    actor_from_request(request),
                    request.user,
                    flag,
                    form.cleaned_data["action"],
                    form.cleaned_data["note"],
                )
            except ActionError as problem:
                form.add_error(
                    problem.field if problem.field in form.fields else None, problem.message
                )
            else:
                messages.success(request, "Flag acknowledged; the escalation has stopped.")
                return redirect("safety:flag", flag_id=flag.pk)
    return _flag_page(request, flag, form, ResolveForm())


@staff_view()
@require_http_methods(["GET", "POST"])
def flag_resolve(request: ClinicRequest, flag_id: int) -> HttpResponse:
    """Resolve a flag without a crisis record (`resolve.do_resolve_flag`); the form is on the
    flag's page, which a GET goes back to."""
    try:
        flag = _clinic_flag(request, flag_id)
    except OtherClinicFlag as other:
        return _switch_page(request, flag_id, other.clinic)
    if request.method == "GET":
        return redirect(reverse("safety:flag", args=[flag.pk]) + "#resolve")
    require(request, RESOLVE_PERM)
    form = ResolveForm(request.POST)
    if form.is_valid():
        try:
            do_resolve_flag(actor_from_request(request), flag, form.cleaned_data["resolution_note"])
        except ActionError as problem:
            add_refusal(form, problem.field, problem.message)  # in words, not the code's name
            flag = _clinic_flag(request, flag_id)  # re-read: someone may have resolved it
        else:
            messages.success(request, "Flag resolved with your note.")
            return redirect("safety:flag", flag_id=flag.pk)
    return _flag_page(request, flag, AcknowledgeForm(), form)


def _flag_page(
    request: ClinicRequest, flag: RiskFlag, form: AcknowledgeForm, resolve_form: ResolveForm
) -> HttpResponse:
    audit(
        request,
        "safety.flag.viewed",
        object_type="risk_flag",
        object_id=flag.pk,
        patient_id=flag.patient_id,
    )
    can_ack = has_perm(request.membership, Perm.SAFETY_FLAG_ACKNOWLEDGE)
    crisis = crisis_of(flag)  # the record it opened, or the open one it joined
    # A crisis record's close-out resolves its flag, and every high flag's (resolve.py).
    by_crisis = crisis is not None or flag.level == RiskLevel.HIGH
    # The resolve card: an acknowledged flag resolved by no crisis record, for the roles that
    # may acknowledge.
    can_resolve = (
        has_perm(request.membership, RESOLVE_PERM)
        and flag.status == FlagStatus.ACKNOWLEDGED
        and not by_crisis
    )
    context: dict[str, Any] = {
        "flag": flag,
        "patient": flag.patient,
        "form": form,
        "resolve_form": resolve_form,
        "crisis": crisis,
        "by_crisis": by_crisis,
        "can_ack": can_ack and flag.status == FlagStatus.OPEN,
        "can_resolve": can_resolve,
        "resolve_blocked": resolve_refusal(flag) if can_resolve else "",
        # The dosing gate's reading: a complete screen at or after the flag was raised.
        "screened_at": screened_since(flag) if flag.requires_cssrs else None,
        "can_screen": has_perm(request.membership, Perm.ASSESSMENT_RATE_CLINICIAN),
        "events": EscalationEvent.objects.filter(flag=flag).select_related("recipient", "actor"),
        "escalation": FlagEscalation.objects.filter(flag=flag).first(),
        "deliveries": NotificationLog.objects.filter(reference=flag_reference(flag.pk)).order_by(
            "created_at"
        ),
    }
    status = 400 if form.errors or resolve_form.errors else 200
    return render(request, "safety/flag.html", context, status=status)


@staff_view(Perm.SAFETY_FLAG_RAISE)
@require_http_methods(["GET", "POST"])
def manual_flag(request: ClinicRequest, patient_id: str) -> HttpResponse:
    patient = access_patient(request, patient_id, Perm.SAFETY_FLAG_RAISE)
    form = ManualFlagForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        flag = do_raise_flag(
            actor_from_request(request),
            patient,
            level=form.cleaned_data["level"],
            source=FlagSource.MANUAL,
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, "Flag raised; the prescriber and on-call clinician are told.")
        return redirect("safety:flag", flag_id=flag.pk)
    status = 400 if form.errors else 200
    return render(
        request, "safety/manual_flag.html", {"patient": patient, "form": form}, status=status
    )


# --- clinic settings --------------------------------------------------------------------------


@staff_view(Perm.CLINIC_SETTINGS)
@require_http_methods(["GET", "POST"])
def settings_page(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    saved = settings_for(clinic)
    staff = list(clinic_staff(clinic))
    clinicians = list(clinic_clinicians(clinic))
    form = SafetySettingsForm(
        request.POST if request.POST.get("form") == "settings" else None,
        instance=saved,
        clinic=clinic,
    )
    list_error = mobile_error = ""
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "settings" and form.is_valid():
            with transaction.atomic():
                form.instance.clinic = clinic
                form.instance.updated_at = timezone.now()
                form.save()
                audit(request, "safety.settings.changed", detail={"fields": form.changed_data})
            messages.success(request, "Safety settings saved.")
            return redirect("safety:settings")
        if which == "list":
            list_error = _save_list(request, clinicians)
            if not list_error:
                messages.success(request, "Escalation list saved.")
                return redirect("safety:settings")
        if which == "mobiles":
            mobile_error = _save_mobiles(request, staff)
            if not mobile_error:
                messages.success(request, "Mobile numbers saved.")
                return redirect("safety:settings")
    listed = list(EscalationContact.objects.filter(clinic=clinic).values_list("user_id", flat=True))
    mobiles = dict(
        StaffAlertContact.objects.filter(user__in=staff).values_list("user_id", "mobile")
    )
    context = {
        "form": form,
        "staff": clinicians,  # the escalation list's choices
        "slots": [(i + 1, listed[i] if i < len(listed) else None) for i in range(LIST_SLOTS)],
        "list_error": list_error,
        "mobile_error": mobile_error,
        # A refused save shows what was typed, not the stored numbers.
        "mobiles": [
            (u, request.POST.get(f"mobile_{u.pk}", "") if mobile_error else mobiles.get(u.pk, ""))
            for u in staff
        ],
    }
    status = 400 if form.errors or list_error or mobile_error else 200
    return render(request, "safety/settings.html", context, status=status)


def _save_list(request: ClinicRequest, staff: list[Any]) -> str:
    allowed = {u.pk for u in staff}
    chosen: list[int] = []
    for i in range(1, LIST_SLOTS + 1):
        raw = request.POST.get(f"position_{i}", "")
        if not raw:
            continue
        if not raw.isdigit() or int(raw) not in allowed:
            return f"Position {i}: {PAGEABLE_HINT} who works at this clinic."
        if int(raw) in chosen:
            return f"Position {i}: this person is already on the list."
        chosen.append(int(raw))
    with transaction.atomic():
        EscalationContact.objects.filter(clinic=request.clinic).delete()
        for position, user_id in enumerate(chosen, start=1):
            EscalationContact.objects.create(
                clinic=request.clinic, position=position, user_id=user_id
            )
        audit(request, "safety.escalation_list.changed", detail={"users": chosen})
    return ""


# A number a text gateway can dial: digits with the usual separators, an optional leading +.
MOBILE = re.compile(r"\+?[0-9][0-9 ().\-]{5,28}")


def _save_mobiles(request: ClinicRequest, staff: list[Any]) -> str:
    """Every number is checked before any is saved (one request, one transaction): a number
    cut at 30 characters or with a typo would page nobody, or a stranger, at 2 a.m."""
    chosen: list[tuple[Any, str]] = []
    for user in staff:
        field = f"mobile_{user.pk}"
        if field not in request.POST:
            continue
        mobile = request.POST[field].strip()
        if mobile and not (MOBILE.fullmatch(mobile) and sum(c.isdigit() for c in mobile) >= 7):
            return (
                f"{user.display_name}: '{mobile[:40]}' is not a mobile number (digits, spaces, "
                "( ) - . and a leading +, at most 30 characters). Nothing was saved."
            )
        chosen.append((user, mobile))
    with transaction.atomic():
        for user, mobile in chosen:
            StaffAlertContact.objects.update_or_create(user=user, defaults={"mobile": mobile})
        audit(request, "safety.alert_contacts.changed")
    return ""


@staff_view(Perm.CLINIC_SETTINGS)
@require_http_methods(["GET", "POST"])
def rota_page(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    which = request.POST.get("form") if request.method == "POST" else ""
    slot_form = OnCallSlotForm(request.POST if which == "slot" else None, clinic=clinic)
    override_form = OnCallOverrideForm(request.POST if which == "override" else None, clinic=clinic)
    if which in ("slot", "override"):
        form = slot_form if which == "slot" else override_form
        if form.is_valid():
            with transaction.atomic():
                form.instance.clinic = clinic
                row = form.save()
                audit(request, f"safety.rota.{which}_added", object_id=row.pk)
            messages.success(request, "On-call rota saved.")
            return redirect("safety:rota")
    now = timezone.now()
    context = {
        "slot_form": slot_form,
        "override_form": override_form,
        "slots": OnCallSlot.objects.filter(clinic=clinic).select_related("user"),
        "overrides": OnCallOverride.objects.filter(
            clinic=clinic, on_date__gte=timezone.localdate(now)
        ).select_related("user"),
        "on_call": on_call_at(clinic, now),
        "gaps": [(DAY_NAMES[d1], t1, DAY_NAMES[d2], t2) for d1, t1, d2, t2 in weekly_gaps(clinic)],
        "no_mobile": paged_without_mobile(clinic, timezone.localdate(now)),
    }
    status = 400 if slot_form.errors or override_form.errors else 200
    return render(request, "safety/rota.html", context, status=status)


DAY_NAMES = dict(WEEKDAYS)


@staff_view(Perm.CLINIC_SETTINGS)
@require_POST
def rota_remove(request: ClinicRequest, kind: str, row_id: int) -> HttpResponse:
    if kind == "slot":
        rows: Any = OnCallSlot.objects.filter(clinic=request.clinic, pk=row_id)
    elif kind == "override":
        rows = OnCallOverride.objects.filter(clinic=request.clinic, pk=row_id)
    else:
        raise Http404
    with transaction.atomic():
        deleted, _ = rows.delete()
        if not deleted:
            raise Http404
        audit(request, f"safety.rota.{kind}_removed", object_id=row_id)
    messages.success(request, "Removed from the rota.")
    return redirect("safety:rota")
