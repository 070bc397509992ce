"""Every portal URL is scoped to the signed-in patient: other patients' ids (same clinic and
another clinic) get 404 and change nothing, in every URL that takes an id."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from ketacare.aftercare.habit_actions import do_log_habits
from ketacare.measures.models import SelfReportLink
from ketacare.portal.messaging import do_patient_send
from ketacare.portal.models import Article, Message
from ketacare.portal.signin import patient_actor
from ketacare.safety.crisis_models import PLAN_FIELDS
from ketacare.safety.plan_actions import do_save_plan
from ketacare.scheduling.models import Appointment
from tests.conftest import SYSTEM

# Pages without an id that must be in the walk (mounted by other apps under /portal/).
MOUNTED_PAGES = ("/portal/habits/", "/portal/habits/week/", "/portal/safety-plan/")


def portal_routes() -> list[str]:
    found: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                found.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns, "/")
    return [r for r in found if r.startswith("/portal/")]


def _objects_of(account: Any) -> dict[str, str]:
    patient = account.patient
    starts = timezone.now() + timedelta(days=2)
    appt = Appointment.objects.create(
        clinic=patient.clinic,
        patient=patient,
        type="treatment",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )
    sent = do_patient_send(patient_actor(account), patient, "private words", subject="Private")
    link = SelfReportLink.objects.create(
        patient=patient,
        token_hash=f"x{account.pk}".ljust(64, "0"),
        scale_codes=["phq9"],
        channel="portal",
        expires_at=starts,
    )
    draft = Article.objects.create(clinic=patient.clinic, title="Unpublished", body="draft")
    do_save_plan(SYSTEM, patient, {name: "private words" for name, _, _ in PLAN_FIELDS})
    yesterday = timezone.localdate() - timedelta(days=1)
    do_log_habits(patient_actor(account), patient, {"day": yesterday, "note": "private words"})
    return {
        "appointment_id": str(appt.pk),
        "thread_id": str(sent.message.thread_id),
        "link_id": str(link.pk),
        "article_id": str(draft.pk),
    }


def test_every_portal_url_with_an_id_refuses_other_patients(portal: Any, world: Any) -> None:
    routes = [r for r in portal_routes() if "<" in r and "token" not in r]
    names = {"appointment_id", "thread_id", "link_id", "article_id"}
    covered = {n for r in routes for n in names if n in r}
    assert covered == names, f"a new portal URL takes an id this test does not know: {routes}"
    c = portal.client(portal.a)
    for other in (portal.a2, portal.b):
        ids = _objects_of(other)
        before = (Message.objects.count(), Appointment.objects.filter(status="booked").count())
        for route in routes:
            url = route
            for name, value in ids.items():
                url = url.replace(f"<int:{name}>", value).replace(f"<uuid:{name}>", value)
            for response in (c.get(url), c.post(url, {"body": "x", "note": "x", "scale": "phq9"})):
                assert response.status_code in (404, 405), (url, response.status_code)
                body = response.content.decode()
                assert "private words" not in body and other.patient.legal_family_name not in body
        after = (Message.objects.count(), Appointment.objects.filter(status="booked").count())
        assert before == after


def test_every_portal_page_without_an_id_shows_only_own_data(portal: Any, world: Any) -> None:
    _objects_of(portal.a2)
    _objects_of(portal.b)
    c = portal.client(portal.a)
    pages = [r for r in portal_routes() if "<" not in r and "sign" not in r and "welcome" not in r]
    assert len(pages) >= 10
    assert set(MOUNTED_PAGES) <= set(pages), pages
    for url in pages:
        response = c.get(url)
        assert response.status_code in (200, 405), (url, response.status_code)
        body = response.content.decode()
        for name in ("Shelley", "Hopper", "private words", "Unpublished"):
            assert name not in body, (url, name)


def test_anonymous_visitors_are_sent_to_sign_in(world: Any, client: Any) -> None:
    for route in portal_routes():
        if "sign" in route or "welcome" in route or "<" in route:
            continue
        response = client.get(route)
        assert response.status_code in (302, 405), route
        if response.status_code == 302:
            assert response["Location"].startswith("/portal/sign-in/"), route
