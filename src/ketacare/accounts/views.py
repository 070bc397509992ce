"""Sign-in, clinic choice, two-factor, staff management, clinic settings and API tokens."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from django.contrib import messages
from django.contrib.auth import login, logout
from django.db import transaction
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts import actions
from ketacare.accounts.access import staff_view
from ketacare.accounts.audit import Outcome, actor_from_request, audit
from ketacare.accounts.forms import LoginForm, OtpForm, RoleForm, StaffForm, TokenForm
from ketacare.accounts.mfa import pending_device, qr_svg
from ketacare.accounts.middleware import SESSION_CLINIC_KEY
from ketacare.accounts.models import ApiToken, Membership
from ketacare.accounts.permissions import MATRIX, Perm, has_perm
from ketacare.accounts.request import ClinicRequest


def _safe_next(request: ClinicRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}):
        return target
    return fallback


@require_http_methods(["GET", "POST"])
def login_view(request: ClinicRequest) -> HttpResponse:
    form = LoginForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        login(request, form.get_user())
        return redirect(_safe_next(request, "/"))
    return render(
        request,
        "accounts/login.html",
        {"form": form, "timed_out": "timeout" in request.GET, "next": _safe_next(request, "")},
    )


@require_POST
def logout_view(request: ClinicRequest) -> HttpResponse:
    logout(request)
    return redirect("accounts:login")


@require_POST
def keepalive(request: ClinicRequest) -> HttpResponse:
    """Typing in a long form counts as activity: the page pings here so no work is lost."""
    return JsonResponse({"ok": request.user.is_authenticated})


def home(request: ClinicRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    return redirect("patients:list")


@require_http_methods(["GET", "POST"])
def select_clinic(request: ClinicRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    memberships = list(request.user.active_memberships())
    if request.method == "POST":
        chosen = next(
            (m for m in memberships if str(m.clinic_id) == request.POST.get("clinic")), None
        )
        if chosen is None:
            messages.error(request, "clinic: choose one of the clinics you work at.")
        else:
            request.session[SESSION_CLINIC_KEY] = chosen.clinic_id
            request.session.pop("patient_search", None)
            request.session.pop("audit_filter", None)
            request.clinic, request.membership = chosen.clinic, chosen
            audit(
                request,
                "accounts.clinic.switched",
                object_type="clinic",
                object_id=chosen.clinic_id,
            )
            return redirect(_safe_next(request, "/"))
    from ketacare.safety.banner import waiting_by_clinic  # safety imports accounts

    waiting = waiting_by_clinic(request.user, memberships)
    return render(
        request,
        "accounts/select_clinic.html",
        {
            "choices": [(m, waiting.get(m.clinic_id)) for m in memberships],
            "memberships": memberships,
            "next": _safe_next(request, ""),
        },
    )


@require_http_methods(["GET", "POST"])
def mfa_verify(request: ClinicRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        device = next(
            (
                d
                for d in TOTPDevice.objects.filter(user=request.user, confirmed=True)
                if d.verify_token(code)
            ),
            None,
        )
        if device is not None:
            otp_login(request, device)
            audit(request, "accounts.mfa.verified")
            return redirect("/")
        audit(request, "accounts.mfa.failed", outcome=Outcome.FAILURE)
        form.add_error("code", _otp_problem(TOTPDevice.objects.filter(user=request.user).first()))
    return render(request, "accounts/mfa_verify.html", {"form": form})


@require_http_methods(["GET", "POST"])
def mfa_setup(request: ClinicRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("accounts:login")
    if TOTPDevice.objects.filter(user=request.user, confirmed=True).exists():
        return redirect("accounts:mfa_verify")
    device = pending_device(request.user)
    form = OtpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            audit(request, "accounts.mfa.enrolled")
            messages.success(request, "Two-factor sign-in is on for your account.")
            return redirect("/")
        form.add_error("code", _otp_problem(device))
    return render(
        request,
        "accounts/mfa_setup.html",
        {"form": form, "qr": qr_svg(device), "secret": _base32(device.bin_key)},
    )


def _otp_problem(device: TOTPDevice | None) -> str:
    """Explain a refused code: wrong, or throttled after repeated failures (django-otp)."""
    if device is not None:
        allowed, _ = device.verify_is_allowed()
        if not allowed:
            return "Too many wrong codes in a row: wait a few seconds, then enter the current code."
    return "That code is not right or has expired; enter the code your app shows now."


def _base32(key: bytes) -> str:
    import base64

    return base64.b32encode(key).decode().rstrip("=")


# --- Staff management (clinic admin) -----------------------------------------------------------


@staff_view(Perm.STAFF_MANAGE)
@require_http_methods(["GET", "POST"])
def staff_list(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    form = StaffForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = actions.do_add_staff(
                actor_from_request(request), clinic, **form.cleaned_data
            )
        except actions.ActionError as problem:
            form.add_error(problem.field if problem.field in form.fields else None, problem.message)
        else:
            messages.success(
                request, f"{membership.user.email} added as {membership.get_role_display()}."
            )
            return redirect("accounts:staff")
    members = clinic.memberships.select_related("user").order_by("-is_active", "user__full_name")
    return render(
        request, "accounts/staff.html", {"form": form, "members": members, "role_form": RoleForm()}
    )


def _clinic_membership(request: ClinicRequest, membership_id: int) -> Membership:
    membership = request.clinic.memberships.filter(pk=membership_id).select_related("user").first()
    if membership is None:
        raise Http404("No such staff member in this clinic.")
    return membership


@staff_view(Perm.STAFF_MANAGE)
@require_POST
def staff_role(request: ClinicRequest, membership_id: int) -> HttpResponse:
    membership = _clinic_membership(request, membership_id)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"role: {form.errors['role'][0]}")
        return redirect("accounts:staff")
    try:
        actions.do_change_role(actor_from_request(request), membership, form.cleaned_data["role"])
        messages.success(request, f"{membership.user.email} is now {form.cleaned_data['role']}.")
    except actions.ActionError as problem:
        messages.error(request, f"{problem.field}: {problem.message}")
    return redirect("accounts:staff")


@staff_view(Perm.STAFF_MANAGE)
@require_POST
def staff_remove(request: ClinicRequest, membership_id: int) -> HttpResponse:
    membership = _clinic_membership(request, membership_id)
    try:
        actions.do_deactivate_membership(actor_from_request(request), membership)
        messages.success(request, f"{membership.user.email} no longer has access to this clinic.")
    except actions.ActionError as problem:
        messages.error(request, f"{problem.field}: {problem.message}")
    return redirect("accounts:staff")


@staff_view(Perm.CLINIC_SETTINGS)
@require_http_methods(["GET", "POST"])
def clinic_settings(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    errors: dict[str, str] = {}
    chosen = clinic.time_zone
    if request.method == "POST":
        chosen = request.POST.get("time_zone", clinic.time_zone)  # not sent: unchanged
        actor = actor_from_request(request)
        try:
            with transaction.atomic():  # all of the form or nothing
                actions.do_set_mfa_required(actor, clinic, request.POST.get("mfa_required") == "on")
                actions.do_set_time_zone(actor, clinic, chosen)
        except actions.ActionError as problem:
            clinic.refresh_from_db()
            errors[problem.field] = problem.message
        else:
            messages.success(request, "Clinic settings saved.")
            return redirect("accounts:clinic_settings")
    return render(
        request,
        "accounts/clinic_settings.html",
        {
            "clinic": clinic,
            "zones": sorted(available_timezones()),
            "chosen_zone": chosen,
            "errors": errors,
        },
        status=400 if errors else 200,
    )


@staff_view()
def permissions_page(request: ClinicRequest) -> HttpResponse:
    from ketacare.accounts.models import Role

    rows = [(perm, [role in roles for role in Role]) for perm, roles in MATRIX.items()]
    return render(request, "accounts/permissions.html", {"rows": rows, "roles": list(Role)})


# --- API tokens ---------------------------------------------------------------------------------


@staff_view()
@require_http_methods(["GET", "POST"])
def token_list(request: ClinicRequest) -> HttpResponse:
    clinic = request.clinic
    membership = request.membership
    manage_all = has_perm(membership, Perm.TOKENS_MANAGE_ALL)
    form = TokenForm(request.POST or None)
    new_secret = None
    if request.method == "POST" and form.is_valid():
        target = membership
        for_member = request.POST.get("membership", "")
        if manage_all and for_member:
            if not for_member.isdigit():
                raise Http404
            target = _clinic_membership(request, int(for_member))
        try:
            _, new_secret = actions.do_create_token(
                actor_from_request(request), target, form.cleaned_data["name"]
            )
        except actions.ActionError as problem:
            form.add_error(None, problem.message)
    tokens = ApiToken.objects.filter(clinic=clinic).select_related("user")
    if not manage_all:
        tokens = tokens.filter(user=request.user)
    context: dict[str, Any] = {
        "form": form,
        "tokens": tokens,
        "new_secret": new_secret,
        "manage_all": manage_all,
        "members": clinic.memberships.filter(is_active=True).select_related("user")
        if manage_all
        else [],
    }
    return render(request, "accounts/tokens.html", context)


@staff_view()
@require_POST
def token_revoke(request: ClinicRequest, prefix: str) -> HttpResponse:
    tokens = ApiToken.objects.filter(clinic=request.clinic, prefix=prefix)
    if not has_perm(request.membership, Perm.TOKENS_MANAGE_ALL):
        tokens = tokens.filter(user=request.user)
    token = tokens.select_related("user").first()
    if token is None:
        raise Http404("No such token.")
    actions.do_revoke_token(actor_from_request(request), token)
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("accounts:tokens")
