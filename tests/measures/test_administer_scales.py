"""Administering a scale through the page: pick it, answer it, save it, see the result."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.clinical.scales import ScaleInputError, get_scale
from ketacare.measures.actions import do_open_episode
from ketacare.measures.forms import ASKED_IF
from ketacare.measures.models import Assessment, Context, Source

SETUP = Actor(label="test-setup")


def url(world: Any, code: str) -> str:
    return f"/patients/{world.patient_a.pk}/assessments/new/{code}/"


def meta(**extra: Any) -> dict[str, Any]:
    data = {
        "context": Context.PRE_SESSION,
        "source": Source.STAFF,
        "administered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(extra)
    return data


def answers(code: str, *values: int) -> dict[str, str]:
    return {f"{code}-{i + 1}": str(v) for i, v in enumerate(values)}


def test_nurse_gives_a_phq9_and_sees_score_and_band_after_saving(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    form = client.get(url(world, "phq9"))
    assert form.status_code == 200
    page = form.content.decode()
    assert page.count('type="radio" id="phq9-') == 10 * 4  # nine scored items and item 10
    assert "Little interest or pleasure in doing things" in page
    response = client.post(
        url(world, "phq9"), {**answers("phq9", 2, 2, 2, 2, 1, 1, 2, 0, 0), **meta()}
    )
    assert response.status_code == 302
    a = Assessment.objects.get(patient=world.patient_a)
    assert (a.scale_code, a.total, a.band, a.context) == ("phq9", 12, "moderate", "pre_session")
    assert a.administered_by == world.nurse_a and a.source == Source.STAFF
    detail = client.get(response["Location"]).content.decode()
    assert "12 · moderate" in detail
    assert "Total 12 = sum of items 1-9" in detail
    assert AuditEntry.objects.filter(action="measures.assessment.recorded").exists()
    assert AuditEntry.objects.filter(action="measures.assessment.form_opened").exists()
    assert AuditEntry.objects.filter(action="measures.assessment.viewed").exists()


def test_intake_enters_a_self_reported_gad7_into_the_open_episode(world: Any, as_user: Any) -> None:
    episode = do_open_episode(
        SETUP, world.patient_a, {"title": "IV ketamine", "primary_scale": "phq9"}
    )
    client = as_user(world.intake_a)
    page = client.get(url(world, "gad7")).content.decode()
    assert "Patient self-report" in page and "IV ketamine" in page
    response = client.post(
        url(world, "gad7"),
        {**answers("gad7", 3, 3, 2, 2, 1, 1, 0), **meta(source="self_report", episode=episode.pk)},
    )
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert (a.total, a.band, a.source, a.episode) == (12, "moderate", "self_report", episode)
    assert a.administered_by is None and a.by_label == "self-report"


def test_first_score_of_a_scale_defaults_to_intake_baseline_then_to_unscheduled(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.nurse_a)
    assert 'value="intake_baseline" selected' in client.get(url(world, "phq9")).content.decode()
    client.post(url(world, "phq9"), {**answers("phq9", *[1] * 9), **meta()})
    page = client.get(url(world, "phq9")).content.decode()
    assert 'value="unscheduled" selected' in page
    preset = client.get(url(world, "phq9") + "?context=post_session").content.decode()
    assert 'value="post_session" selected' in preset


def test_cssrs_follows_its_skip_logic(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    page = client.get(url(world, "cssrs_recent")).content.decode()
    assert 'data-asked-if="cssrs_recent-2=1"' in page and 'data-asked-if="cssrs_recent-6=1"' in page
    # Q2 No: Q3-Q5 are not asked, and the screen is complete without them.
    no_ideation = {"cssrs_recent-1": "1", "cssrs_recent-2": "0", "cssrs_recent-6": "0"}
    assert client.post(url(world, "cssrs_recent"), {**no_ideation, **meta()}).status_code == 302
    assert Assessment.objects.get().risk_level == "low"
    # Q2 Yes: Q3-Q5 become required.
    ideation = {"cssrs_recent-1": "1", "cssrs_recent-2": "1", "cssrs_recent-6": "0"}
    refused = client.post(url(world, "cssrs_recent"), {**ideation, **meta()})
    assert refused.status_code == 400
    body = refused.content.decode()
    for n in ("3", "4", "5"):
        assert f'id="item-cssrs_recent-{n}" data-link-id="cssrs_recent-{n}" data-asked-if' in body
        assert f'data-field="cssrs_recent-{n}"' in body
    full = {**ideation, "cssrs_recent-3": "1", "cssrs_recent-4": "1", "cssrs_recent-5": "0"}
    assert client.post(url(world, "cssrs_recent"), {**full, **meta()}).status_code == 302
    assert Assessment.objects.order_by("-pk").first().risk_level == "high"  # type: ignore[union-attr]


def test_an_answer_to_a_question_the_skip_logic_did_not_ask_is_refused_naming_it(
    world: Any, as_user: Any
) -> None:
    data = {
        "cssrs_recent-1": "0",
        "cssrs_recent-2": "0",
        "cssrs_recent-3": "1",
        "cssrs_recent-6": "0",
    }
    response = as_user(world.nurse_a).post(url(world, "cssrs_recent"), {**data, **meta()})
    assert response.status_code == 400
    body = response.content.decode()
    assert 'data-field="cssrs_recent-3"' in body and "Q3-Q5 are asked only when Q2 is Yes" in body
    assert not Assessment.objects.exists()


def test_the_pages_skip_logic_table_matches_the_library() -> None:
    scale = get_scale("cssrs_recent")
    for link_id, (gate, value) in ASKED_IF.items():
        base = {"cssrs_recent-1": 0, "cssrs_recent-2": 0, "cssrs_recent-6": 0}
        base[gate] = 1 - value  # the gate answered the other way: the question is not asked
        try:
            scale.score({**base, link_id: 0})
        except ScaleInputError as problem:
            assert problem.field == link_id
        else:
            raise AssertionError(f"{link_id} was accepted although {gate} skipped it")
        base[gate] = value
        assert link_id in scale.score(base).missing_items  # asked, so missing until answered


def test_prescriber_rates_a_madrs_with_neutral_labels_and_the_licence_note(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.prescriber_a)
    page = client.get(url(world, "madrs")).content.decode()
    assert "apparent sadness" in page and "Royal College of Psychiatrists" in page
    assert 'data-testid="licence-note"' in page
    assert "Patient self-report" not in page  # clinician-rated: no self-report source
    response = client.post(url(world, "madrs"), {**answers("madrs", *[3] * 10), **meta()})
    assert response.status_code == 302
    a = Assessment.objects.get()
    assert (a.total, a.band, a.administered_by) == (30, "moderate", world.prescriber_a)


def test_clinician_rated_scale_cannot_be_saved_as_self_report(world: Any, as_user: Any) -> None:
    response = as_user(world.prescriber_a).post(
        url(world, "madrs"), {**answers("madrs", *[3] * 10), **meta(source="self_report")}
    )
    assert response.status_code == 400
    assert 'data-field="source"' in response.content.decode()
    assert not Assessment.objects.exists()


def test_form_is_built_for_keyboard_and_touch(world: Any, as_user: Any) -> None:
    page = as_user(world.nurse_a).get(url(world, "phq9")).content.decode()
    assert 'id="phq9-1-0" name="phq9-1" value="0" autofocus' in page
    assert "<kbd>0–3</kbd>" in page and "<kbd>Enter</kbd> saves" in page
    assert 'data-preview-url="/patients/' in page and "ketacare/measures.js" in page
    assert 'class="opt' in page and "<label" in page
    assert "style=" not in page and "<script>" not in page  # CSP: no inline style or script


def test_scale_chooser_groups_scales_and_quick_picker_redirects(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    page = client.get(f"/patients/{world.patient_a.pk}/assessments/").content.decode()
    assert "Self-report questionnaires" in page and "Clinician-rated" in page
    picked = client.get(f"/patients/{world.patient_a.pk}/assessments/?scale=gad7")
    assert picked.status_code == 302 and picked["Location"].endswith("/new/gad7/")


def test_unknown_scale_is_not_found(world: Any, as_user: Any) -> None:
    assert as_user(world.nurse_a).get(url(world, "hamd")).status_code == 404


def test_future_time_is_refused(world: Any, as_user: Any) -> None:
    later = (timezone.localtime() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    response = as_user(world.nurse_a).post(
        url(world, "phq9"), {**answers("phq9", *[1] * 9), **meta(administered_at=later)}
    )
    assert response.status_code == 400
    assert "cannot be dated in the future" in response.content.decode()
    assert not Assessment.objects.exists()
