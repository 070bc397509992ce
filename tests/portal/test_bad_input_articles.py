"""Bad input on the article editor: every problem at once, named by the
page's labels (not 'title:'), what was typed kept, nothing stored."""

from __future__ import annotations

from typing import Any

import pytest

from ketacare.portal.models import Article

pytestmark = pytest.mark.django_db


def test_article_with_every_field_wrong_shows_every_problem_in_words(world: Any, as_user: Any):
    response = as_user(world.admin_a).post(
        "/articles/new/",
        {
            "title": "   ",
            "summary": "s" * 400,
            "body": " ",
            "conditions": "12, F32",
            "stages": ["later"],
        },
    )
    assert response.status_code == 400
    body = response.content.decode()
    for said in (
        "Title: Give the article a title.",
        "Summary: The summary can be at most 300 characters.",
        "Text: Write the article&#x27;s text.",
        "Conditions: “12”: not an ICD-10 code or prefix",
        "Stages: Tick only the stages offered.",
    ):
        assert said in body, said
    assert "title:" not in body and "body:" not in body
    assert 'value="12, F32"' in body and "s" * 400 in body
    assert not Article.objects.exists()


def test_an_edited_article_refused_keeps_the_stored_one(world: Any, as_user: Any):
    article = Article.objects.create(clinic=world.clinic_a, title="Kept", body="Old text")
    response = as_user(world.admin_a).post(
        f"/articles/{article.pk}/", {"title": "New title", "body": "", "conditions": "zz9999999"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Text: Write the article" in body and "Conditions: “ZZ9999999”" not in body
    assert "Conditions: “zz9999999”" in body
    article.refresh_from_db()
    assert (article.title, article.body) == ("Kept", "Old text")
