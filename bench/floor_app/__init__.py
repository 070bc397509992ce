"""The smallest servers our stack allows, for `bench/stack_floor.py` (not part of KetaCare).

Each stores one vital-sign row and commits, as `POST /fhir/Observation` must, with nothing
else: no sign-in, no validation, no alerts, no audit. What they cost on a machine is the
floor under any KetaCare endpoint there.
"""
