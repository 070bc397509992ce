"""Who may give which scale, correct an assessment and manage episodes (scope of practice)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from ketacare.accounts.audit import Actor, AuditEntry
from ketacare.measures.actions import do_open_episode, do_record_assessment
from ketacare.measures.models import Assessment, EpisodeOfCare

SETUP = Actor(label="test-setup")


def meta() -> dict[str, str]:
    return {
        "context": "unscheduled",
        "source": "staff",
        "administered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def madrs() -> dict[str, str]:
    return {f"madrs-{n}": "2" for n in range(1, 11)}


def test_admins_and_directors_cannot_administer_scales(world: Any, as_user: Any) -> None:
    base = f"/patients/{world.patient_a.pk}/assessments"
    for user in (world.admin_a, world.director_a):
        client = as_user(user)
        assert client.get(f"{base}/").status_code == 403
        assert client.get(f"{base}/new/phq9/").status_code == 403
        data = {**{f"phq9-{n}": "1" for n in range(1, 10)}, **meta()}
        assert client.post(f"{base}/new/phq9/", data).status_code == 403
    assert not Assessment.objects.exists()
    assert AuditEntry.objects.filter(action="accounts.permission.denied").count() >= 6


def test_intake_may_not_give_clinician_rated_scales(world: Any, as_user: Any) -> None:
    client = as_user(world.intake_a)
    base = f"/patients/{world.patient_a.pk}/assessments/new"
    for code in ("madrs", "cssrs_recent", "cadss6", "moaas"):
        assert client.get(f"{base}/{code}/").status_code == 403, code
    assert client.post(f"{base}/madrs/", {**madrs(), **meta()}).status_code == 403
    assert client.get(f"{base}/phq9/").status_code == 200
    assert not Assessment.objects.exists()
    chooser = client.get(f"/patients/{world.patient_a.pk}/assessments/").content.decode()
    assert "Clinician-rated scales are given by a prescriber, nurse or therapist." in chooser
    assert f"{base}/madrs/" not in chooser


def test_nurse_and_therapist_may_rate_a_madrs(world: Any, as_user: Any) -> None:
    base = f"/patients/{world.patient_a.pk}/assessments/new/madrs/"
    for user in (world.nurse_a, world.therapist_a):
        assert as_user(user).post(base, {**madrs(), **meta()}).status_code == 302
    assert Assessment.objects.filter(scale_code="madrs").count() == 2


def test_every_role_reads_trajectories_and_assessments(world: Any, as_user: Any) -> None:
    a = do_record_assessment(SETUP, world.patient_a, "phq9", {f"phq9-{n}": 1 for n in range(1, 10)})
    base = f"/patients/{world.patient_a.pk}/assessments"
    for user in (world.admin_a, world.director_a, world.intake_a, world.therapist_a):
        client = as_user(user)
        assert client.get(f"{base}/trajectories/").status_code == 200
        assert client.get(f"{base}/{a.pk}/").status_code == 200
        assert client.get(f"{base}/episodes/").status_code == 200


def test_only_prescribers_and_nurses_mark_entered_in_error(world: Any, as_user: Any) -> None:
    a = do_record_assessment(SETUP, world.patient_a, "phq9", {f"phq9-{n}": 1 for n in range(1, 10)})
    url = f"/patients/{world.patient_a.pk}/assessments/{a.pk}/entered-in-error/"
    for user in (world.therapist_a, world.intake_a, world.admin_a):
        assert as_user(user).post(url, {"reason": "wrong patient"}).status_code == 403
    a.refresh_from_db()
    assert a.status == "final"
    assert (
        "Mark entered in error"
        not in as_user(world.therapist_a)
        .get(f"/patients/{world.patient_a.pk}/assessments/{a.pk}/")
        .content.decode()
    )


def test_only_prescribers_open_and_close_episodes(world: Any, as_user: Any) -> None:
    url = f"/patients/{world.patient_a.pk}/assessments/episodes/"
    data = {"title": "IV ketamine", "primary_scale": "phq9", "started_on": "2026-01-05"}
    for user in (world.nurse_a, world.therapist_a, world.intake_a, world.admin_a):
        assert as_user(user).post(url, data).status_code == 403
    assert not EpisodeOfCare.objects.exists()
    episode = do_open_episode(SETUP, world.patient_a, {"title": "x", "primary_scale": "phq9"})
    close = f"{url}{episode.pk}/close/"
    assert as_user(world.nurse_a).post(close, {"ended_on": "2026-01-05"}).status_code == 403
    page = as_user(world.nurse_a).get(url).content.decode()
    assert "Open an episode" not in page and "Close this episode" not in page


def test_clinic_b_cannot_give_score_correct_or_open_anything_for_clinic_as_patient(
    world: Any, as_user: Any
) -> None:
    a = do_record_assessment(SETUP, world.patient_a, "phq9", {f"phq9-{n}": 1 for n in range(1, 10)})
    episode = do_open_episode(SETUP, world.patient_a, {"title": "x", "primary_scale": "phq9"})
    client = as_user(world.clinician_b)
    base = f"/patients/{world.patient_a.pk}/assessments"
    answers = {**{f"phq9-{n}": "2" for n in range(1, 10)}, **meta()}
    attempts = [
        client.post(f"{base}/new/phq9/", answers),
        client.post(f"{base}/new/phq9/preview/", answers),
        client.post(f"{base}/{a.pk}/entered-in-error/", {"reason": "x"}),
        client.post(f"{base}/episodes/", {"title": "y", "primary_scale": "phq9"}),
        client.post(f"{base}/episodes/{episode.pk}/close/", {"ended_on": "2026-01-05"}),
        client.get(f"{base}/{a.pk}/"),
        client.get(f"{base}/trajectories/"),
    ]
    for response in attempts:
        assert response.status_code == 404
        assert "Lovelace" not in response.content.decode()
    a.refresh_from_db()
    episode.refresh_from_db()
    assert Assessment.objects.count() == 1 and a.status == "final"
    assert EpisodeOfCare.objects.count() == 1 and episode.status == "active"
