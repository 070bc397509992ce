"""Bad input on the administer form: missing and invalid answers, and saving as incomplete."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.models import Assessment


def url(world: Any, code: str = "phq9") -> str:
    return f"/patients/{world.patient_a.pk}/assessments/new/{code}/"


def meta() -> dict[str, str]:
    return {
        "context": "pre_session",
        "source": "staff",
        "administered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def partial_phq9() -> dict[str, str]:
    """Items 1-9 answered 1 except items 4 and 7, which are left blank."""
    data = {f"phq9-{n}": "1" for n in range(1, 10)}
    del data["phq9-4"]
    data["phq9-7"] = ""
    return data


def checked(body: str, link_id: str) -> str | None:
    match = re.search(rf'name="{link_id}" value="(\d+)" checked', body)
    return match.group(1) if match else None


def test_missing_answers_re_render_with_each_item_marked_and_answers_kept(
    world: Any, as_user: Any
) -> None:
    response = as_user(world.nurse_a).post(url(world), {**partial_phq9(), **meta()})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'id="item-phq9-4" data-link-id="phq9-4" data-missing="true"' in body
    assert 'id="item-phq9-7" data-link-id="phq9-7" data-missing="true"' in body
    assert body.count('data-missing="true"') == 2  # item 10 is optional, never "missing"
    assert "2 questions not answered" in body
    for n in (1, 2, 3, 5, 6, 8, 9):
        assert checked(body, f"phq9-{n}") == "1"
    assert 'value="pre_session" selected' in body
    assert 'id="save-incomplete"' in body and 'id="save-incomplete" hidden' not in body
    assert not Assessment.objects.exists()
    assert not AuditEntry.objects.filter(action="measures.assessment.recorded").exists()


def test_save_as_incomplete_stores_no_total_and_names_the_missing_items(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.nurse_a)
    response = client.post(url(world), {**partial_phq9(), **meta(), "allow_incomplete": "on"})
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert a.total is None and not a.complete and a.band == ""
    assert a.missing_items == ["phq9-4", "phq9-7"]
    detail = client.get(response["Location"]).content.decode()
    assert "Saved as incomplete" in detail and "Item 4, Item 7" in detail


def test_an_invalid_value_is_refused_naming_the_item_and_keeping_the_rest(
    world: Any, as_user: Any
) -> None:
    data = {f"phq9-{n}": "2" for n in range(1, 10)}
    data["phq9-3"] = "7"
    data["phq9-5"] = "lots"
    response = as_user(world.nurse_a).post(url(world), {**data, **meta()})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Item 3: value 7 is not an answer option (allowed: 0, 1, 2, 3)." in body
    assert "Item 5: “lots” is not one of the answers." in body
    assert 'data-field="phq9-3"' in body and 'data-field="phq9-5"' in body
    assert checked(body, "phq9-1") == "2" and checked(body, "phq9-9") == "2"
    assert not Assessment.objects.exists()


def test_invalid_value_is_refused_even_when_saving_as_incomplete(world: Any, as_user: Any) -> None:
    data = {**partial_phq9(), "phq9-1": "9", "allow_incomplete": "on"}
    response = as_user(world.nurse_a).post(url(world), {**data, **meta()})
    assert response.status_code == 400
    assert not Assessment.objects.exists()


def test_a_bad_context_or_episode_is_refused_naming_the_field(world: Any, as_user: Any) -> None:
    data = {f"phq9-{n}": "1" for n in range(1, 10)}
    response = as_user(world.nurse_a).post(
        url(world), {**data, **meta(), "context": "whenever", "episode": "999"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="context"' in body and 'data-field="episode"' in body
    assert checked(body, "phq9-1") == "1"
    assert not Assessment.objects.exists()
