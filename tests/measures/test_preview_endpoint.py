"""The live preview: the form as it stands, scored by the library, answered as JSON."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import AuditEntry
from ketacare.measures.models import Assessment
from ketacare.safety.models import RiskFlag


def url(world: Any, code: str = "phq9") -> str:
    return f"/patients/{world.patient_a.pk}/assessments/new/{code}/preview/"


def phq9(*values: int) -> dict[str, str]:
    return {f"phq9-{i + 1}": str(v) for i, v in enumerate(values)}


def test_preview_returns_total_band_flags_and_explanation(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).post(url(world), phq9(2, 2, 2, 2, 2, 2, 2, 1, 0))
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    data = response.json()
    assert (data["total"], data["band"], data["complete"], data["max_total"]) == (
        15,
        "moderately severe",
        True,
        27,
    )
    assert "provisional_major_depressive_syndrome" in data["flags"]
    assert "Provisional major depressive syndrome" in data["flag_labels"]
    assert data["explanation"][0].startswith("Total 15 = sum of items 1-9")
    assert data["missing_items"] == [] and data["risk_flag"] is None
    assert not Assessment.objects.exists()  # a preview stores nothing


def test_preview_lists_missing_items_and_gives_no_total(world: Any, as_user: Any) -> None:
    data = as_user(world.nurse_a).post(url(world), phq9(1, 1, 1)).json()
    assert data["total"] is None and not data["complete"]
    assert [m["link_id"] for m in data["missing_items"]] == [f"phq9-{n}" for n in range(4, 10)]
    assert data["missing_items"][0]["label"] == "Item 4"


def test_preview_warns_that_item9_will_raise_a_risk_flag(world: Any, as_user: Any) -> None:
    data = as_user(world.nurse_a).post(url(world), phq9(0, 0, 0, 0, 0, 0, 0, 0, 2)).json()
    assert "item9_positive" in data["flags"]
    assert data["risk_flag"]["level"] == "high"
    assert "C-SSRS" in data["risk_flag"]["reason"]
    assert not RiskFlag.objects.exists()  # only saving raises it


def test_preview_refuses_an_invalid_value_naming_the_item(world: Any, as_user: Any) -> None:
    response = as_user(world.nurse_a).post(url(world), phq9(1, 4))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["phq9-2"]
    assert "Item 2" in response.json()["errors"]["phq9-2"]


def test_preview_of_a_cssrs_gives_the_risk_level(world: Any, as_user: Any) -> None:
    answers = {"cssrs_recent-1": "1", "cssrs_recent-2": "1", "cssrs_recent-4": "1"}
    data = as_user(world.nurse_a).post(url(world, "cssrs_recent"), answers).json()
    assert data["risk_level"] == "high" and data["risk_flag"]["level"] == "high"
    assert {m["link_id"] for m in data["missing_items"]} == {
        "cssrs_recent-3",
        "cssrs_recent-5",
        "cssrs_recent-6",
    }


def test_preview_is_post_only_and_audited(world: Any, as_user: Any) -> None:
    client = as_user(world.nurse_a)
    assert client.get(url(world)).status_code == 405
    client.post(url(world), phq9(1))
    entry = AuditEntry.objects.get(action="measures.assessment.previewed")
    assert entry.patient_id == str(world.patient_a.pk) and entry.detail == {"scale": "phq9"}


def test_preview_needs_the_same_permission_as_saving(world: Any, as_user: Any) -> None:
    assert as_user(world.director_a).post(url(world), phq9(1)).status_code == 403
    assert as_user(world.intake_a).post(url(world, "madrs"), {}).status_code == 403
    assert as_user(world.intake_a).post(url(world), phq9(1)).status_code == 200
