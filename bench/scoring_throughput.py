"""Scoring throughput of the pure scale library: responses scored per second, per scale.

Run: .venv/bin/python bench/scoring_throughput.py [--seconds S]
No database, no Django: this measures the clinical library alone.
"""

from __future__ import annotations

import argparse
import random
import time

from ketacare.clinical import scales


def random_answers(scale: scales.Scale, rng: random.Random) -> dict[str, int]:
    answers = {}
    for item in scale.items:
        answers[item.link_id] = rng.choice(item.values)
    return answers


def valid_sample(code: str, rng: random.Random, n: int) -> list[dict[str, int]]:
    """Random complete answer sets that the scale accepts (skip logic may refuse some)."""
    scale = scales.get_scale(code)
    sample: list[dict[str, int]] = []
    attempts = 0
    while len(sample) < n and attempts < n * 50:
        attempts += 1
        answers = random_answers(scale, rng)
        params = {"sex": "female"} if code == "auditc" else {}
        try:
            scale.score(answers, **params)
        except scales.ScaleInputError:
            continue
        sample.append(answers)
    return sample


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=1.0, help="time per scale")
    args = parser.parse_args()
    rng = random.Random(1)
    print(f"{'scale':<14} {'responses/s':>12} {'µs/response':>12}")
    total_done, total_time = 0, 0.0
    for code in sorted(scales.SCALES):
        sample = valid_sample(code, rng, 500)
        if not sample:
            print(f"{code:<14} {'(no valid random sample)':>25}")
            continue
        scale = scales.get_scale(code)
        params = {"sex": "female"} if code == "auditc" else {}
        done, start = 0, time.perf_counter()
        deadline = start + args.seconds
        while time.perf_counter() < deadline:
            for answers in sample:
                scale.score(answers, **params)
            done += len(sample)
        elapsed = time.perf_counter() - start
        total_done, total_time = total_done + done, total_time + elapsed
        print(f"{code:<14} {done / elapsed:>12,.0f} {elapsed / done * 1e6:>12.1f}")
    rate, micros = total_done / total_time, total_time / total_done * 1e6
    print(f"{'all scales':<14} {rate:>12,.0f} {micros:>12.1f}")


if __name__ == "__main__":
    main()
