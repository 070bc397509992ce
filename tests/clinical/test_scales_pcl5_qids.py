"""PCL-5 and QIDS-SR16 behaviour beyond the reference vectors."""

from __future__ import annotations

from ketacare.clinical.scales import score


def pcl5(values: list[int]) -> dict[str, int]:
    return {f"pcl5-{n}": v for n, v in enumerate(values, start=1)}


def qids(values: dict[int, int]) -> dict[str, int]:
    return {f"qids_sr16-{n}": v for n, v in values.items()}


def test_pcl5_total_at_the_cutoff_counts_as_probable_ptsd() -> None:
    values = [2] * 16 + [1] * 1 + [0] * 3  # 33
    result = score("pcl5", pcl5(values))
    assert result.total == 33
    assert "provisional_ptsd_cutoff" in result.flags


def test_pcl5_cutoff_is_configurable() -> None:
    values = [2] * 15 + [1] * 1 + [0] * 4  # 31
    assert "provisional_ptsd_cutoff" not in score("pcl5", pcl5(values)).flags
    assert "provisional_ptsd_cutoff" in score("pcl5", pcl5(values), cutoff=31).flags


def test_pcl5_high_total_without_avoidance_fails_the_cluster_rule_and_says_why() -> None:
    values = [4, 4, 4, 4, 4, 0, 0, 1, 1, 1, 1, 1, 1, 1, 4, 4, 4, 4, 4, 0]
    result = score("pcl5", pcl5(values))
    assert result.flags == ("provisional_ptsd_cutoff",)
    assert any(
        "cluster C (items 6-7): 0 endorsed, needs 1 — not met" in line
        for line in result.explanation
    )


def test_qids_accepts_one_answer_from_each_appetite_and_weight_pair() -> None:
    answers = {n: 1 for n in range(1, 17) if n not in (7, 9)}
    result = score("qids_sr16", qids(answers))
    assert result.complete
    assert result.subscores["appetite_weight"] == 1


def test_qids_uses_the_highest_item_in_each_domain() -> None:
    answers = {n: 0 for n in range(1, 17)} | {2: 3, 4: 1, 7: 2, 8: 1, 16: 2}
    result = score("qids_sr16", qids(answers))
    assert result.subscores["sleep"] == 3
    assert result.subscores["appetite_weight"] == 2
    assert result.subscores["psychomotor"] == 2
    assert result.total == 7


def test_qids_needs_one_answer_from_each_pair() -> None:
    answers = {n: 1 for n in range(1, 17) if n not in (6, 7)}
    result = score("qids_sr16", qids(answers))
    assert not result.complete
    assert result.missing_items == ("qids_sr16-6", "qids_sr16-7")
    assert any("pairs" in line for line in result.explanation)


def test_qids_suicide_item_is_flagged_even_when_incomplete() -> None:
    result = score("qids_sr16", qids({12: 1}))
    assert not result.complete
    assert result.flags == ("item12_positive",)
