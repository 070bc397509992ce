"""Portal demo data: logins that work, messages, published articles, clean removal."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.test import Client
from django.utils import timezone

from ketacare.demo.loader import demo_logins
from ketacare.demo.portal_demo import load_portal, remove_portal_demo
from ketacare.portal.models import Article, MessageThread, PortalAccount
from ketacare.scheduling.models import Appointment


def test_demo_logins_list_portal_patients() -> None:
    rows = [r for r in demo_logins() if r[1].startswith("Patient")]
    assert len(rows) == 6 and rows[0][0] == "patient1@riverside.demo"


def test_load_portal_gives_working_logins_threads_and_articles(world: Any) -> None:
    clinic = world.clinic_a
    clinic.slug = "riverside"
    clinic.save()
    starts = timezone.now() + timedelta(days=2)
    Appointment.objects.create(
        clinic=clinic,
        patient=world.patient_a,
        type="treatment",
        starts_at=starts,
        ends_at=starts + timedelta(hours=1),
    )
    load_portal(clinic, make_password("demo-pass-123"), random.Random(1))
    account = PortalAccount.objects.get()
    assert account.patient_id == world.patient_a.pk
    assert account.user.email == "patient1@riverside.demo"
    assert Article.objects.filter(clinic=clinic, published=True).count() == 4
    assert MessageThread.objects.filter(patient=world.patient_a).count() == 2
    c = Client()
    response = c.post(
        "/portal/sign-in/",
        {"form": "password", "email": "patient1@riverside.demo", "password": "demo-pass-123"},
    )
    assert response.status_code == 302
    assert "Driving after my session" in c.get("/portal/messages/").content.decode()
    assert "Preparing for your first infusion" in c.get("/portal/learn/").content.decode()
    remove_portal_demo([clinic])
    assert not PortalAccount.objects.exists()
