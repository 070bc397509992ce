"""Portal sign-in: password, one-time email link, optional authenticator code; invitations.

No session exists until every step (including the TOTP code) has passed, so the staff
two-factor middleware never sees a half-signed-in patient.
"""

from __future__ import annotations

from django.contrib.auth import authenticate, login, logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.audit import Outcome, record
from ketacare.accounts.mfa import pending_device, qr_svg
from ketacare.portal import signin
from ketacare.portal.access import PortalRequest, client_ip, portal_audit, portal_patient_required
from ketacare.portal.forms import CodeForm, LinkRequestForm, PasswordSignInForm, SetPasswordForm
from ketacare.portal.middleware import SESSION_KEY
from ketacare.portal.models import PortalAccount, TokenPurpose

PENDING_KEY = "kc_portal_pending"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target.startswith("/portal/") and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}
    ):
        return target
    return "/portal/"


def _complete(
    request: HttpRequest, account: PortalAccount, how: str, device: object = None
) -> HttpResponse:
    target = _next(request)
    login(request, account.user, backend=MODEL_BACKEND)
    if device is not None:
        otp_login(request, device)
    request.session[SESSION_KEY] = True
    now = timezone.now()
    PortalAccount.objects.filter(pk=account.pk).update(last_sign_in_at=now)
    if account.activated_at is None:
        PortalAccount.objects.filter(pk=account.pk).update(activated_at=now)
    record(
        signin.patient_actor(account, client_ip(request)),
        "portal.signed_in",
        object_type="portal_account",
        object_id=account.pk,
        patient_id=account.patient_id,
        clinic_id=account.patient.clinic_id,
        detail={"how": how, "totp": device is not None},
    )
    return redirect(target)


def _device(account: PortalAccount) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user_id=account.user_id, confirmed=True).first()


def _after_first_factor(request: HttpRequest, account: PortalAccount, how: str) -> HttpResponse:
    if _device(account) is not None:
        request.session[PENDING_KEY] = {"account": account.pk, "how": how, "next": _next(request)}
        return redirect("portal:verify")
    return _complete(request, account, how)


@require_http_methods(["GET", "POST"])
def sign_in(request: HttpRequest) -> HttpResponse:
    form = PasswordSignInForm(
        request.POST or None if request.POST.get("form") == "password" else None
    )
    link_form = LinkRequestForm(
        request.POST or None if request.POST.get("form") == "link" else None
    )
    sent = False
    status = 200
    if request.method == "POST" and request.POST.get("form") == "password" and form.is_valid():
        user = authenticate(
            request,
            username=form.cleaned_data["email"].lower(),
            password=form.cleaned_data["password"],
        )
        account = None
        if user is not None and not user.memberships.filter(is_active=True).exists():
            account = (
                PortalAccount.objects.select_related("user", "patient__clinic")
                .filter(user=user, is_active=True)
                .first()
            )
        if account is not None:
            return _after_first_factor(request, account, "password")
        form.add_error(None, "That email and password do not match a portal account.")
        status = 400
    elif request.method == "POST" and request.POST.get("form") == "link" and link_form.is_valid():
        signin.do_request_sign_in_link(link_form.cleaned_data["email"], client_ip(request))
        sent = True
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "portal/sign_in.html",
        {
            "form": form,
            "link_form": link_form,
            "sent": sent,
            "next": _next(request),
            "timed_out": "timeout" in request.GET,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
def link_sign_in(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that open links must not use them up); POST signs in."""
    found = signin.find_token(token, TokenPurpose.SIGN_IN)
    if found is None:
        return render(request, "portal/link_unusable.html", status=404)
    if request.method == "POST":
        if not signin.consume(found):
            return render(request, "portal/link_unusable.html", status=404)
        return _after_first_factor(request, found.account, "email_link")
    return render(request, "portal/link_sign_in.html", {"token": token})


@require_http_methods(["GET", "POST"])
def welcome(request: HttpRequest, token: str) -> HttpResponse:
    """The invitation link: choose a password, then you are signed in."""
    found = signin.find_token(token, TokenPurpose.INVITE)
    if found is None:
        return render(request, "portal/link_unusable.html", status=404)
    account = found.account
    form = SetPasswordForm(request.POST or None, user=account.user)
    if request.method == "POST" and form.is_valid():
        if not signin.consume(found):
            return render(request, "portal/link_unusable.html", status=404)
        account.user.set_password(form.cleaned_data["password"])
        account.user.save(update_fields=["password"])
        record(
            signin.patient_actor(account, client_ip(request)),
            "portal.password.set",
            object_type="portal_account",
            object_id=account.pk,
            patient_id=account.patient_id,
            clinic_id=account.patient.clinic_id,
        )
        if request.user.is_authenticated:
            logout(request)
        return _after_first_factor(request, account, "invitation")
    return render(
        request,
        "portal/welcome.html",
        {
            "form": form,
            "first_name": account.patient.preferred_name or account.patient.legal_given_name,
        },
        status=400 if request.method == "POST" else 200,
    )


@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    pending = request.session.get(PENDING_KEY)
    account = None
    if isinstance(pending, dict):
        account = (
            PortalAccount.objects.select_related("user", "patient__clinic")
            .filter(pk=int(pending.get("account") or 0), is_active=True)
            .first()
        )
    if account is None:
        return redirect("portal:sign_in")
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        code = form.cleaned_data["code"].strip()
        device = next(
            (
                d
                for d in TOTPDevice.objects.filter(user_id=account.user_id, confirmed=True)
                if d.verify_token(code)
            ),
            None,
        )
        if device is not None:
            request.session.pop(PENDING_KEY, None)
            return _complete(request, account, str(pending.get("how", "password")), device)  # type: ignore[union-attr]
        record(
            signin.patient_actor(account, client_ip(request)),
            "portal.totp.failed",
            outcome=Outcome.FAILURE,
            patient_id=account.patient_id,
            clinic_id=account.patient.clinic_id,
        )
        form.add_error(
            "code", "That code is not right. Check the time on your phone and try again."
        )
    return render(
        request,
        "portal/verify.html",
        {"form": form},
        status=400 if request.method == "POST" else 200,
    )


@require_POST
def sign_out(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("portal:sign_in")


@portal_patient_required
@require_http_methods(["GET", "POST"])
def security(request: PortalRequest) -> HttpResponse:
    """Optional two-step sign-in with an authenticator app."""
    confirmed = TOTPDevice.objects.filter(user=request.user, confirmed=True).exists()
    form = CodeForm(request.POST or None)
    device = None if confirmed else pending_device(request.user)
    if request.method == "POST" and request.POST.get("action") == "remove" and confirmed:
        TOTPDevice.objects.filter(user=request.user).delete()
        portal_audit(request, "portal.totp.removed")
        return redirect("portal:security")
    if request.method == "POST" and device is not None and form.is_valid():
        if device.verify_token(form.cleaned_data["code"].strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            portal_audit(request, "portal.totp.enabled")
            return redirect("portal:security")
        form.add_error(
            "code", "That code is not right. Check the time on your phone and try again."
        )
    return render(
        request,
        "portal/security.html",
        {
            "confirmed": confirmed,
            "form": form,
            "qr": qr_svg(device) if device is not None else "",
        },
        status=400 if request.method == "POST" and form.errors else 200,
    )
