"""Shared pieces of the protocol library: frequencies, the derived minimum gaps between
sessions and the default weight basis (see library.py)."""

from __future__ import annotations

from ketacare.clinical.protocols.model import Frequency, RequiredCheck, WeightBasis

C = RequiredCheck
DAILY = Frequency(1, 1)
WEEKLY = Frequency(1, 7)
TWICE_WEEKLY = Frequency(2, 7)
THRICE_WEEKLY = Frequency(3, 7)
EVERY_2_WEEKS = Frequency(1, 14)

# The minimum gap between sessions is not stated anywhere in shared/reference; these are
# derived from each phase's frequency and must be set by the clinic.
GAP_SOURCE = (
    "derived from the session frequency, not in shared/reference [UNCONFIRMED — clinic to set]"
)
# 2-3 sessions a week, e.g. Mon/Wed/Fri (S30) or twice weekly (S34): at least 48 h apart.
GAP_2_3_PER_WEEK_H = 48
# Weekly or less often: at least 5 days apart.
GAP_WEEKLY_H = 120
# Daily 4-h infusions (CRPS, S43): at least 20 h apart.
GAP_DAILY_H = 20

# Weight basis for mg/kg dosing: "make the weight basis a protocol setting" — actual weight by
# default; ideal/adjusted are clinic choices ([UNCONFIRMED] clinical.md §7a, §14).
DEFAULT_BASIS = WeightBasis.ACTUAL
