"""Calibration: each stage's configured probability against what the closed deals did.

The weighted forecast multiplies each open deal's value by its stage's probability
from pipeline.yaml. Whether those probabilities are any good can be read from the
deals that have closed: of the closed deals (won or lost at the cut-off) that reached
a stage, what share was won? :func:`calibrate` gives, per ladder stage, that share
with its count and a 95% Wilson score interval, and a verdict: the configured
probability inside the interval (``ok``), below it (``low``: deals that reach the
stage win more often than configured), above it (``high``), or ``too_few`` when
fewer than ``MIN_CLOSED`` closed deals reached the stage (the interval is then too
wide to judge by). "Reached" is the funnel's (docs/metrics.md): the furthest stage,
a won deal having passed every stage; with ``strict`` the deal's ordered run.
A pure function of rows; the definition and a worked example are in docs/metrics.md.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from .digest import Row
from .models import Pipeline

Z = 1.959963984540054  # the 97.5th percentile of the normal distribution: a two-sided 95% interval
MIN_CLOSED = 10  # fewer closed deals than this at a stage: too few to judge


@dataclass
class Calibration:
    """One ladder stage: its configured probability beside the closed deals' outcome."""

    stage: str
    label: str
    probability: float  # as the weighted forecast uses it (pipeline.yaml, else the even ladder)
    closed: int = 0  # closed deals that reached the stage
    won: int = 0  # of them, the won ones
    observed: float | None = None  # won / closed
    low: float | None = None  # the 95% Wilson interval of observed
    high: float | None = None
    verdict: str = "too_few"  # ok, low (configured below the interval), high (above it), too_few


def wilson(won: int, n: int, z: float = Z) -> tuple[float, float] | None:
    """The Wilson score interval of ``won`` successes in ``n`` trials (None when n is 0)."""
    if n <= 0:
        return None
    p = won / n
    z2 = z * z
    denominator = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denominator
    half = z / denominator * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    low = 0.0 if won == 0 else max(0.0, centre - half)
    high = 1.0 if won == n else min(1.0, centre + half)
    return low, high


def verdict(probability: float, closed: int, interval: tuple[float, float] | None) -> str:
    if interval is None or closed < MIN_CLOSED:
        return "too_few"
    low, high = interval
    if probability < low:
        return "low"
    if probability > high:
        return "high"
    return "ok"


def reached(row: Row, last: int, strict: bool) -> int:
    """The furthest ladder position the deal counts as having reached (-1: none), as the funnel counts."""
    if strict:
        return row.ordered
    return last if row.status == "won" else row.furthest


def calibrate(rows: Sequence[Row], pipeline: Pipeline, *, strict: bool = False) -> list[Calibration]:
    """Per ladder stage, the closed deals that reached it, how many were won, and the verdict."""
    stages = pipeline.stages
    last = len(stages) - 1
    closed = [0] * len(stages)
    won = [0] * len(stages)
    for r in rows:
        if r.status == "open":
            continue
        top = reached(r, last, strict)
        for i in range(top + 1):
            closed[i] += 1
            if r.status == "won":
                won[i] += 1
    out = []
    for i, s in enumerate(stages):
        p = pipeline.probability(s.id)
        interval = wilson(won[i], closed[i])
        out.append(
            Calibration(
                stage=s.id,
                label=s.title,
                probability=p,
                closed=closed[i],
                won=won[i],
                observed=won[i] / closed[i] if closed[i] else None,
                low=interval[0] if interval else None,
                high=interval[1] if interval else None,
                verdict=verdict(p, closed[i], interval),
            )
        )
    return out


def verdict_line(c: Calibration) -> str | None:
    """One line for a stage whose configured probability lies outside the interval, else None."""
    if c.verdict not in ("low", "high") or c.observed is None or c.low is None or c.high is None:
        return None
    where = "below" if c.verdict == "low" else "above"
    more = "more" if c.verdict == "low" else "less"
    return (
        f"{c.label}: configured {c.probability:.0%} is {where} the 95% interval {c.low:.0%}-{c.high:.0%} "
        f"({c.won} won of {c.closed} closed): deals that reach it win {more} often"
    )


def calibration_data(rows: Sequence[Calibration]) -> list[dict[str, object]]:
    """The JSON objects of docs/metrics.md."""
    return [
        {
            "stage": c.stage,
            "label": c.label,
            "probability": c.probability,
            "closed": c.closed,
            "won": c.won,
            "observed": c.observed,
            "low": c.low,
            "high": c.high,
            "verdict": c.verdict,
        }
        for c in rows
    ]
