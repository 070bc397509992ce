"""Every vector in shared/reference/fhir-examples/derived_rule_vectors.json, scored through
the public registry. The vectors are constructed from the reference's rules (not independent
oracles), so they pin boundaries and special rules rather than prove the rules right."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ketacare.clinical.response import CourseStatus, ResponseRules, classify_course
from ketacare.clinical.scales import score
from ketacare.clinical.scales.qids import DOMAINS

EXAMPLES = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "fhir-examples"
VECTORS_FILE = EXAMPLES / "derived_rule_vectors.json"

if not VECTORS_FILE.is_file():
    pytest.skip(
        f"reference vectors not found at {VECTORS_FILE} (shared/reference is not checked out "
        "next to the repo)",
        allow_module_level=True,
    )

INSTRUMENTS: dict[str, Any] = json.loads(VECTORS_FILE.read_text())["instruments"]


def vectors(name: str, key: str = "vectors") -> list[Any]:
    return [pytest.param(v, id=f"{name}#{i}") for i, v in enumerate(INSTRUMENTS[name][key])]


def numbered(prefix: str, items: list[int | None]) -> dict[str, int | None]:
    return {f"{prefix}-{n}": value for n, value in enumerate(items, start=1)}


HANDLED = {
    "PHQ-9",
    "PHQ-2",
    "GAD-7",
    "PCL-5",
    "C-SSRS screener (recent)",
    "QIDS-SR16",
    "AUDIT-C",
    "ISI",
    "MADRS",
    "BPI-SF",
    "CADSS / CADSS-6",
}


def test_every_instrument_in_the_vector_file_is_checked() -> None:
    assert set(INSTRUMENTS) == HANDLED


@pytest.mark.parametrize("vector", vectors("PHQ-9"))
def test_phq9_vector(vector: dict[str, Any]) -> None:
    result = score("phq9", numbered("phq9", vector["items"]))
    expected = vector["expected"]
    assert result.total == expected["total"]
    assert result.band == expected["band"]
    assert ("item9_positive" in result.flags) == expected["item9_positive"]
    major = "provisional_major_depressive_syndrome" in result.flags
    other = "provisional_other_depressive_syndrome" in result.flags
    assert major == expected["dsm_major_depressive_syndrome"]
    assert other == expected["dsm_other_depressive_syndrome"]


@pytest.mark.parametrize("vector", vectors("PHQ-2"))
def test_phq2_vector(vector: dict[str, Any]) -> None:
    result = score("phq2", numbered("phq2", vector["items"]))
    assert result.total == vector["expected"]["total"]
    assert ("positive_screen" in result.flags) == vector["expected"]["positive_screen_ge3"]


@pytest.mark.parametrize("vector", vectors("GAD-7"))
def test_gad7_vector(vector: dict[str, Any]) -> None:
    result = score("gad7", numbered("gad7", vector["items"]))
    assert result.total == vector["expected"]["total"]
    assert result.band == vector["expected"]["band"]
    assert ("probable_gad" in result.flags) == vector["expected"]["positive_screen_ge10"]


@pytest.mark.parametrize("vector", vectors("PCL-5"))
def test_pcl5_vector(vector: dict[str, Any]) -> None:
    result = score("pcl5", numbered("pcl5", vector["items"]))
    expected = vector["expected"]
    assert result.total == expected["total"]
    for cluster in "BCDE":
        assert result.subscores[f"cluster_{cluster}"] == expected[f"cluster_{cluster}"]
    assert ("provisional_ptsd_cluster_rule" in result.flags) == expected["provisional_dsm5_dx"]
    assert ("provisional_ptsd_cutoff" in result.flags) == expected["above_cutoff_33"]


CSSRS_KEYS = {"q1": "1", "q2": "2", "q3": "3", "q4": "4", "q5": "5", "q6": "6", "q6_3m": "6b"}


def test_cssrs_vector_item_codes_match_the_scale() -> None:
    from ketacare.clinical.scales import answers_by_loinc
    from ketacare.clinical.scales.cssrs import RISK_LEVEL_LOINC

    codes = INSTRUMENTS["C-SSRS screener (recent)"]["item_codes"]
    by_loinc = answers_by_loinc("cssrs_recent")
    for key, number in CSSRS_KEYS.items():
        assert by_loinc[codes[key]] == f"cssrs_recent-{number}"
    assert codes["risk"] == RISK_LEVEL_LOINC


@pytest.mark.parametrize("vector", vectors("C-SSRS screener (recent)"))
def test_cssrs_vector(vector: dict[str, Any]) -> None:
    answers = {f"cssrs_recent-{CSSRS_KEYS[k]}": int(v) for k, v in vector["answers"].items()}
    result = score("cssrs_recent", answers)
    assert result.complete
    assert result.risk_level == vector["expected_risk"]


@pytest.mark.parametrize("vector", vectors("QIDS-SR16"))
def test_qids_vector(vector: dict[str, Any]) -> None:
    result = score("qids_sr16", numbered("qids_sr16", vector["items"]))
    expected = vector["expected"]
    assert [result.subscores[name] for name, _ in DOMAINS] == expected["domain_scores"]
    assert result.total == expected["total"]
    assert result.band == expected["band"]


@pytest.mark.parametrize("vector", vectors("AUDIT-C"))
def test_auditc_vector(vector: dict[str, Any]) -> None:
    result = score("auditc", numbered("auditc", vector["items"]), sex=vector["sex"])
    assert result.total == vector["expected"]["total"]
    assert ("positive_screen" in result.flags) == vector["expected"]["positive"]


@pytest.mark.parametrize("vector", vectors("ISI"))
def test_isi_vector(vector: dict[str, Any]) -> None:
    result = score("isi", numbered("isi", vector["items"]))
    assert result.total == vector["expected"]["total"]
    assert result.band == vector["expected"]["band"]


@pytest.mark.parametrize("vector", vectors("MADRS"))
def test_madrs_vector(vector: dict[str, Any]) -> None:
    result = score("madrs", numbered("madrs", vector["items"]))
    assert result.total == vector["expected"]["total"]
    assert result.band == vector["expected"]["band"]


@pytest.mark.parametrize("vector", vectors("MADRS", "change_vectors"))
def test_madrs_change_vector(vector: dict[str, Any]) -> None:
    expected = vector["expected"]
    scores = [(date(2026, 1, 8), vector["current"])]
    le12 = ResponseRules(remission_at_or_below={"madrs": 12})  # TRANSFORM-3 definition
    result = classify_course("madrs", vector["baseline"], scores, le12)
    assert result.percent_change is not None
    assert (result.percent_change <= -50) == expected["response_ge50pct"]
    assert (result.status is CourseStatus.REMISSION) == expected["remission_le12"]
    if "remission_le10" in expected:
        default = classify_course("madrs", vector["baseline"], scores)
        assert (default.status is CourseStatus.REMISSION) == expected["remission_le10"]


SEVERITY = ("3", "4", "5", "6")
INTERFERENCE = ("9a", "9b", "9c", "9d", "9e", "9f", "9g")


@pytest.mark.parametrize("vector", vectors("BPI-SF"))
def test_bpi_vector(vector: dict[str, Any]) -> None:
    answers = {
        **{f"bpi_sf-{n}": v for n, v in zip(SEVERITY, vector["severity_items"], strict=True)},
        **{
            f"bpi_sf-{n}": v
            for n, v in zip(INTERFERENCE, vector["interference_items"], strict=True)
        },
    }
    result = score("bpi_sf", answers)
    expected = vector["expected"]
    assert result.total is None
    assert result.mean_scores["severity"] == expected["severity_mean"]
    assert result.mean_scores.get("interference") == expected["interference_mean"]


@pytest.mark.parametrize("vector", vectors("CADSS / CADSS-6"))
def test_cadss_vector(vector: dict[str, Any]) -> None:
    items = vector["items_1_to_23"]
    expected = vector["expected"]
    full = score("cadss23", numbered("cadss23", items))
    assert full.total == expected["cadss23_total"]
    assert full.subscores["cadss6"] == expected["cadss6_total"]
    short = score("cadss6", {f"cadss6-{n}": items[n - 1] for n in (1, 2, 6, 7, 15, 22)})
    assert short.total == expected["cadss6_total"]
