"""PHQ-9 item 9 above 0 is warned about before saving, and after saving leads to the C-SSRS."""

from __future__ import annotations

import re
from typing import Any

from django.utils import timezone

from ketacare.measures.models import Assessment
from ketacare.safety.models import RiskFlag


def url(world: Any) -> str:
    return f"/patients/{world.patient_a.pk}/assessments/new/phq9/"


def meta() -> dict[str, str]:
    return {
        "context": "pre_session",
        "source": "staff",
        "administered_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }


def test_item9_answers_that_raise_a_flag_are_marked_on_the_blank_form(
    world: Any, as_user: Any
) -> None:
    page = as_user(world.nurse_a).get(url(world)).content.decode()
    risky = re.findall(r'<label class="opt opt-risk" for="([\w-]+)"', page)
    assert risky == ["phq9-9-1", "phq9-9-2", "phq9-9-3"]
    # Shown by CSS as soon as one of them is checked, even without JavaScript.
    assert 'data-testid="static-risk-warning"' in page
    assert "a C-SSRS screen is required today" in page


def test_a_refused_form_with_item9_positive_shows_the_flag_it_would_raise(
    world: Any, as_user: Any
) -> None:
    data = {f"phq9-{n}": "1" for n in range(1, 9)}
    data["phq9-9"] = "2"
    del data["phq9-3"]
    response = as_user(world.nurse_a).post(url(world), {**data, **meta()})
    assert response.status_code == 400
    body = response.content.decode()
    warning = body.split('data-testid="risk-warning"', 1)[1].split("</div>", 1)[0]
    assert "hidden" not in warning.split(">", 1)[0]
    assert "Saving will raise a high risk flag." in warning and "C-SSRS" in warning
    assert not RiskFlag.objects.exists() and not Assessment.objects.exists()


def test_after_saving_item9_positive_the_result_leads_to_the_cssrs(
    world: Any, as_user: Any
) -> None:
    client = as_user(world.nurse_a)
    data = {**{f"phq9-{n}": "0" for n in range(1, 9)}, "phq9-9": "1"}
    response = client.post(url(world), {**data, **meta()})
    assert response.status_code == 302
    assert RiskFlag.objects.get().level == "moderate"
    detail = client.get(response["Location"]).content.decode()
    assert "a C-SSRS screen is required today" in detail
    assert f"/patients/{world.patient_a.pk}/assessments/new/cssrs_recent/?context=pre_session" in (
        detail
    )
    chart = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    assert "item 9 positive" in chart


def test_a_blank_form_shows_no_risk_warning(world: Any, as_user: Any) -> None:
    page = as_user(world.nurse_a).get(url(world)).content.decode()
    assert 'role="alert" data-testid="risk-warning" hidden' in page
