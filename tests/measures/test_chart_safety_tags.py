"""A suicide-item answer above 0 is tagged wherever the score is shown: PHQ-9 item 9 and
QIDS-SR16 item 12 alike (instruments.md §7: item 12 gets the same follow-up as item 9)."""

from __future__ import annotations

from typing import Any

from ketacare.accounts.audit import Actor
from ketacare.measures.actions import do_record_assessment
from ketacare.measures.views import flag_label

SETUP = Actor(label="test-setup")


def qids(item12: int) -> dict[str, int]:
    answers = {f"qids_sr16-{n}": 1 for n in range(1, 17)}
    answers["qids_sr16-12"] = item12
    return answers


def chart_row(client: Any, world: Any, code: str) -> str:
    body = client.get(f"/patients/{world.patient_a.pk}/").content.decode()
    section = body.split('data-testid="assessments-section"', 1)[1].split("</section>", 1)[0]
    return section.split(f'data-scale="{code}"', 1)[1].split("</tr>", 1)[0]


def test_qids_item12_positive_is_tagged_in_the_latest_scores(world: Any, as_user: Any) -> None:
    do_record_assessment(SETUP, world.patient_a, "qids_sr16", qids(2))
    row = chart_row(as_user(world.nurse_a), world, "qids_sr16")
    assert "item 12 positive" in row and "tag-severe" in row


def test_qids_item12_at_0_is_not_tagged(world: Any, as_user: Any) -> None:
    do_record_assessment(SETUP, world.patient_a, "qids_sr16", qids(0))
    row = chart_row(as_user(world.nurse_a), world, "qids_sr16")
    assert "positive" not in row


def test_phq9_item9_positive_is_still_tagged(world: Any, as_user: Any) -> None:
    answers = {**{f"phq9-{n}": 0 for n in range(1, 9)}, "phq9-9": 1}
    do_record_assessment(SETUP, world.patient_a, "phq9", answers)
    row = chart_row(as_user(world.nurse_a), world, "phq9")
    assert "item 9 positive" in row


def test_flag_labels_name_the_item_number() -> None:
    assert flag_label("item9_positive") == "Item 9 positive"
    assert flag_label("item12_positive") == "Item 12 positive"
