"""The smallest servers our stack allows, for `bench/stack_floor.py` (not part of KetaCare).

Each stores one vital-sign row and commits, as `POST /fhir/Observation` must, with nothing
else: no sign-in, no validation, no alerts, no audit. What they cost on a machine is the
floor under any KetaCare endpoint there.

Beside them, two sketches of lean paths (lower bounds, not KetaCare code): `sketch.py` for
`POST /fhir/Observation` (issue 6) and `risk_sketch.py` for a risk-answer submission
(issue 7).
"""
