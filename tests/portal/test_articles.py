"""Education articles: staff editor (sanitised), publish/unpublish, suggestions by condition
and stage."""

from __future__ import annotations

from typing import Any

from ketacare.patients.models import Diagnosis
from ketacare.portal.articles import render_body
from ketacare.portal.models import Article
from tests.fhir._plans import plan_row


def test_body_is_escaped_with_paragraphs_headings_and_lists() -> None:
    html = render_body("## Before\n\nEat lightly.\nNo driving.\n\n- water\n- <script>x</script>")
    assert "<h2>Before</h2>" in html
    assert "<p>Eat lightly.<br>No driving.</p>" in html
    assert "<li>&lt;script&gt;x&lt;/script&gt;</li>" in html and "<script>" not in html


def test_admin_writes_publishes_and_patients_read(portal: Any, world: Any, as_user: Any) -> None:
    admin = as_user(world.admin_a)
    bad = admin.post("/articles/new/", {"title": "", "body": "text kept"})
    assert bad.status_code == 400 and "Title: Give the article a title." in bad.content.decode()
    assert "text kept" in bad.content.decode()
    bad_stage = admin.post("/articles/new/", {"title": "T", "body": "b", "stages": ["later"]})
    assert bad_stage.status_code == 400 and "Stages:" in bad_stage.content.decode()
    created = admin.post(
        "/articles/new/",
        {
            "title": "Your first infusion",
            "body": "Plan a ride <b>home</b>.",
            "conditions": "f33",
            "stages": ["before"],
        },
    )
    article = Article.objects.get()
    assert created["Location"] == f"/articles/{article.pk}/"
    assert article.conditions == ["F33"] and article.clinic_id == world.clinic_a.pk
    c = portal.client(portal.a)
    assert c.get(f"/portal/learn/{article.pk}/").status_code == 404  # not published yet
    admin.post(f"/articles/{article.pk}/publish/", {"published": "1"})
    page = c.get(f"/portal/learn/{article.pk}/").content.decode()
    assert "Plan a ride &lt;b&gt;home&lt;/b&gt;." in page
    admin.post(f"/articles/{article.pk}/publish/", {"published": "0"})
    assert c.get(f"/portal/learn/{article.pk}/").status_code == 404


def test_only_admins_of_the_clinic_edit(world: Any, as_user: Any) -> None:
    assert as_user(world.nurse_a).get("/articles/").status_code == 403
    article = Article.objects.create(clinic=world.clinic_b, title="B", body="b")
    assert as_user(world.admin_a).get(f"/articles/{article.pk}/").status_code == 404


def test_suggestions_follow_condition_and_stage(portal: Any, world: Any) -> None:
    general = Article.objects.create(clinic=world.clinic_a, title="Sleep", body="x", published=True)
    depression_before = Article.objects.create(
        clinic=world.clinic_a,
        title="First infusion",
        body="x",
        conditions=["F33"],
        stages=["before"],
        published=True,
    )
    ptsd = Article.objects.create(
        clinic=world.clinic_a, title="PTSD", body="x", conditions=["F43.1"], published=True
    )
    induction = Article.objects.create(
        clinic=world.clinic_a, title="Induction", body="x", stages=["induction"], published=True
    )
    Article.objects.create(clinic=world.clinic_b, title="Other clinic", body="x", published=True)
    Diagnosis.objects.create(patient=world.patient_a, icd10_code="F33.2", display="MDD")
    c = portal.client(portal.a)
    body = c.get("/portal/learn/").content.decode()
    suggested = body.split("Suggested for you")[1].split("More from your clinic")[0]
    assert depression_before.title in suggested and general.title in suggested
    assert ptsd.title not in suggested and induction.title not in suggested
    assert "Other clinic" not in body
    plan_row(world.prescriber_a, world.patient_a, status="active", phase="induction")
    suggested = c.get("/portal/learn/").content.decode().split("More from your clinic")[0]
    assert induction.title in suggested and depression_before.title not in suggested
    assert (
        c.get(f"/portal/learn/{Article.objects.get(title='Other clinic').pk}/").status_code == 404
    )
