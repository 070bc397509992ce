"""Portal accounts: invitation, password and email-link sign-in, optional TOTP, boundaries."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from ketacare.accounts.audit import AuditEntry
from ketacare.notify.models import NotificationLog
from ketacare.portal.models import PortalAccount
from tests.portal.conftest import PORTAL_PASSWORD


def _link(purpose: str) -> str:
    log = NotificationLog.objects.filter(purpose=purpose).order_by("-pk").first()
    assert log is not None
    found = re.search(r"http://[^\s]+(/portal/[^\s]+/)", log.body)
    assert found is not None, log.body
    return found.group(1)


def test_staff_invite_emails_a_link_that_sets_a_password(world: Any, as_user: Any) -> None:
    world.patient_a.email = "ada@patient.test"
    world.patient_a.save()
    staff = as_user(world.nurse_a)
    url = f"/patients/{world.patient_a.pk}/portal/"
    assert url in staff.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert staff.get(url).status_code == 200
    response = staff.post(url, {"action": "invite"})
    assert response.status_code == 302
    account = PortalAccount.objects.get(patient=world.patient_a)
    assert account.user.email == "ada@patient.test"
    assert not account.user.has_usable_password()
    assert not account.user.memberships.exists()
    link = _link("portal.invite")
    visitor = Client()
    assert "Choose a password" in visitor.get(link).content.decode()
    bad = visitor.post(link, {"password": "short", "confirm": "short"})
    assert bad.status_code == 400 and "New password:" in bad.content.decode()
    done = visitor.post(link, {"password": PORTAL_PASSWORD, "confirm": PORTAL_PASSWORD})
    assert done.status_code == 302 and done["Location"] == "/portal/"
    assert "Hello, Ada" in visitor.get("/portal/").content.decode()
    # The link works once.
    assert Client().get(link).status_code == 404
    assert AuditEntry.objects.filter(action="portal.account.invited").exists()
    assert AuditEntry.objects.filter(action="portal.signed_in", actor_role="patient").exists()


def test_invite_without_email_names_the_field(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).post(
        f"/patients/{world.patient_a.pk}/portal/", {"action": "invite"}
    )
    assert response.status_code == 400
    assert "email: There is no email address" in response.content.decode()
    assert not PortalAccount.objects.exists()


def test_invite_refuses_an_email_that_belongs_to_staff(world: Any, as_user: Any) -> None:
    world.patient_a.email = world.nurse_a.email
    world.patient_a.save()
    response = as_user(world.nurse_a).post(
        f"/patients/{world.patient_a.pk}/portal/", {"action": "invite"}
    )
    assert response.status_code == 400
    assert not PortalAccount.objects.exists()


def test_invite_page_of_another_clinic_is_not_found(world: Any, as_user: Any) -> None:
    response = as_user(world.clinician_b).post(
        f"/patients/{world.patient_a.pk}/portal/", {"action": "invite"}
    )
    assert response.status_code == 404
    assert not PortalAccount.objects.exists()


def test_password_sign_in_and_wrong_password(portal: Any) -> None:
    c = Client()
    wrong = c.post(
        "/portal/sign-in/",
        {"form": "password", "email": portal.a.user.email, "password": "nope-nope-nope"},
    )
    assert wrong.status_code == 400
    assert "do not match" in wrong.content.decode()
    assert c.get("/portal/").status_code == 302
    portal.client(portal.a)


def test_email_link_sign_in_needs_a_press_and_works_once(portal: Any) -> None:
    c = Client()
    response = c.post("/portal/sign-in/", {"form": "link", "email": "ADA@patient.test"})
    assert response.status_code == 200 and "on its way" in response.content.decode()
    link = _link("portal.sign_in_link")
    assert c.get(link).status_code == 200
    assert c.get("/portal/").status_code == 302  # opening the link alone does not sign in
    assert c.post(link).status_code == 302
    assert c.get("/portal/").status_code == 200
    assert Client().post(link).status_code == 404


def test_link_request_for_unknown_email_answers_the_same(world: Any) -> None:
    response = Client().post("/portal/sign-in/", {"form": "link", "email": "who@x.test"})
    assert response.status_code == 200 and "on its way" in response.content.decode()
    assert not NotificationLog.objects.filter(purpose="portal.sign_in_link").exists()
    assert len(mail.outbox) == 0


def test_optional_totp_is_asked_before_any_session(portal: Any) -> None:
    device = TOTPDevice.objects.create(user=portal.a.user, name="phone", confirmed=True)
    c = Client()
    response = c.post(
        "/portal/sign-in/",
        {"form": "password", "email": portal.a.user.email, "password": PORTAL_PASSWORD},
    )
    assert response["Location"] == "/portal/sign-in/code/"
    assert c.get("/portal/").status_code == 302
    bad = c.post("/portal/sign-in/code/", {"code": "000000"})
    assert bad.status_code == 400 and "not right" in bad.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # django-otp slows guessing after a wrong code
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert c.post("/portal/sign-in/code/", {"code": code}).status_code == 302
    assert c.get("/portal/").status_code == 200


def test_patient_can_turn_on_totp(portal: Any) -> None:
    c = portal.client(portal.a)
    page = c.get("/portal/security/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=portal.a.user)
    code = f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"
    assert c.post("/portal/security/", {"code": code}).status_code == 302
    device.refresh_from_db()
    assert device.confirmed
    assert c.get("/portal/").status_code == 200  # the session stays verified


def test_staff_cannot_use_the_portal(world: Any, as_user: Any) -> None:
    staff = as_user(world.nurse_a)
    assert staff.get("/portal/").status_code == 403
    assert AuditEntry.objects.filter(action="portal.staff_refused").exists()
    response = Client().post(
        "/portal/sign-in/",
        {"form": "password", "email": world.nurse_a.email, "password": "correct-horse-battery-9"},
    )
    assert response.status_code == 400


def test_patients_never_reach_staff_pages(portal: Any, world: Any) -> None:
    c = portal.client(portal.a)
    for url in (
        "/patients/",
        f"/patients/{world.patient_a.pk}/",
        f"/patients/{world.patient_a.pk}/portal/",
        "/schedule/",
        "/accounts/audit/",
        "/accounts/staff/",
        "/",
    ):
        response = c.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == "/portal/", url
    assert c.post("/patients/", {"q": "Lovelace"})["Location"] == "/portal/"
    # The API and FHIR need a staff token: a portal session is no key.
    assert c.get(f"/fhir/Patient/{world.patient_a.pk}").status_code == 401


def test_patient_signed_in_on_the_staff_page_still_needs_their_code(portal: Any) -> None:
    TOTPDevice.objects.create(user=portal.a.user, name="phone", confirmed=True)
    c = Client()
    c.post("/accounts/login/", {"username": portal.a.user.email, "password": PORTAL_PASSWORD})
    response = c.get("/portal/")
    assert response.status_code == 302
    assert c.get("/portal/").status_code == 302
    assert "_auth_user_id" not in c.session


def test_every_portal_page_shows_the_crisis_bar(portal: Any) -> None:
    c = portal.client(portal.a)
    for url in ("/portal/", "/portal/help/", "/portal/security/"):
        body = c.get(url).content.decode()
        assert 'href="tel:988"' in body and 'href="tel:911"' in body, url
    assert 'href="tel:988"' in Client().get("/portal/sign-in/").content.decode()


def test_deactivated_account_cannot_sign_in(portal: Any, as_user: Any, world: Any) -> None:
    as_user(world.nurse_a).post(f"/patients/{world.patient_a.pk}/portal/", {"action": "deactivate"})
    response = Client().post(
        "/portal/sign-in/",
        {"form": "password", "email": portal.a.user.email, "password": PORTAL_PASSWORD},
    )
    assert response.status_code == 400


def test_idle_patient_is_sent_to_the_portal_sign_in(portal: Any, settings: Any) -> None:
    c = portal.client(portal.a)
    session = c.session
    session["last_seen"] = 0.0
    session.save()
    response = c.get("/portal/messages/", follow=True)
    assert response.redirect_chain[-1][0].startswith("/portal/sign-in/?timeout=1")
    assert "signed out after a while" in response.content.decode()
