from ketacare.clinical.risk_words import find_risk_phrases


def test_finds_phrases_case_and_apostrophe_insensitively() -> None:
    result = find_risk_phrases("Honestly I DON'T want to live like this. I might overdose.")
    assert result.concerning
    assert result.found == ("dont want to live", "overdose")
    assert "clinical.md §16b" in result.reason


def test_whole_words_only_and_harmless_text() -> None:
    assert not find_risk_phrases("Can I reschedule? My sleep is better.").concerning
    # "suicidal" inside another word would not match; "suicides" is not "suicide" either.
    assert not find_risk_phrases("the antisuicidalness study").concerning


def test_clinic_extra_phrases() -> None:
    assert not find_risk_phrases("I feel hopeless").concerning
    result = find_risk_phrases("I feel hopeless", extra=["hopeless", "  "])
    assert result.found == ("hopeless",)
