"""Simulation engine speed: 100 initiatives × 20,000 simulations × monthly cash flows.

Prints a table. Target (DESIGN.md §9): the engine under 1 s for the whole set.
Run: ``.venv/bin/python benchmarks/bench_simulation.py [--initiatives N] [--simulations S]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from helpers.load.params import Params
from helpers.model import business_case
from helpers.model.cashflow import cashflow_matrix, weeks_to_months

TARGET_SECONDS = 1.0


def make_initiatives(count: int, seed: int = 7) -> list[dict]:
    """Synthetic register rows with ranges like the sample's (half with a likely value)."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(count):
        benefit = rng.uniform(20_000, 400_000)
        cost = rng.uniform(20_000, 500_000)
        weeks = rng.uniform(3, 30)
        likely = i % 2 == 0
        rows.append(
            {
                "id": f"B-{i:03d}",
                "name": f"Initiative {i}",
                "category": "web",
                "benefit_low": benefit * 0.5,
                "benefit_likely": benefit if likely else np.nan,
                "benefit_high": benefit * 2.2,
                "cost_low": cost * 0.8,
                "cost_likely": cost if likely else np.nan,
                "cost_high": cost * 1.7,
                "duration_low": weeks * 0.7,
                "duration_likely": weeks if likely else np.nan,
                "duration_high": weeks * 1.8,
                "effort_low": weeks,
                "effort_likely": np.nan,
                "effort_high": weeks * 3,
                "run_cost": benefit * 0.1,
                "ramp_months": float(rng.integers(0, 12)),
            }
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--initiatives", type=int, default=100)
    parser.add_argument("--simulations", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=3, help="best of this many runs")
    args = parser.parse_args()
    params = Params.model_validate(
        {
            "quarter": "2026Q4",
            "title": "benchmark",
            "initiatives": "bench.csv",
            "actuals": "bench.csv",
            "budget": 1e7,
            "capacity": 1e4,
            "simulations": args.simulations,
        }
    )
    rows = make_initiatives(args.initiatives)
    months = int(12 * params.horizon_years)

    def engine() -> list:
        return [business_case.simulate_case(row, params) for row in rows]

    def value_of_information(sims: list) -> None:
        for sim in sims:
            business_case.value_of_information(sim.npv)
            business_case.evppi_by_input(sim)

    def summaries(sims: list) -> None:
        for sim in sims:
            business_case.summarise_case(sim)

    def matrices(sims: list) -> None:
        # the reference: materialise every month of every simulation, then sum
        for sim in sims:
            cashflow_matrix(
                benefit=sim.draws["benefit"],
                cost=sim.draws["cost"],
                duration=weeks_to_months(sim.draws["duration"]),
                run_cost=sim.run_cost,
                ramp=sim.ramp_months,
                annual_rate=sim.discount_rate,
                horizon=sim.horizon_months,
            ).sum(axis=1)

    def best(step, *step_args) -> tuple[float, object]:
        times, result = [], None
        for _ in range(args.repeats):
            start = time.perf_counter()
            result = step(*step_args)
            times.append(time.perf_counter() - start)
        return min(times), result

    engine_seconds, sims = best(engine)
    voi_seconds, _ = best(value_of_information, sims)
    summary_seconds, _ = best(summaries, sims)
    matrix_seconds, _ = best(matrices, sims)

    total = args.initiatives * args.simulations
    print(
        f"{args.initiatives} initiatives × {args.simulations:,} simulations × {months} months "
        f"({total:,} simulated cases), best of {args.repeats}\n"
    )
    header = f"{'stage':<58} {'seconds':>8} {'ms/initiative':>14} {'target':>8}"
    print(header)
    print("-" * len(header))
    rows_out = [
        ("engine: draw ranges, NPV, ROI, payback, cost of delay", engine_seconds, "< 1 s"),
        ("value of information: EVPI + EVPPI per input", voi_seconds, ""),
        ("engine + value of information", engine_seconds + voi_seconds, "< 1 s"),
        ("full case summaries (tornado, quantiles, recommendation)", summary_seconds, ""),
        ("reference: materialised monthly matrix, NPV only", matrix_seconds, ""),
    ]
    for label, seconds, target in rows_out:
        per = 1000 * seconds / args.initiatives
        print(f"{label:<58} {seconds:>8.3f} {per:>14.2f} {target:>8}")
    verdict = "meets" if engine_seconds + voi_seconds < TARGET_SECONDS else "MISSES"
    print(
        f"\nEngine with value of information {verdict} the {TARGET_SECONDS:g} s target; "
        f"closed form is {matrix_seconds / engine_seconds:.1f}× faster than the "
        "materialised matrix."
    )


if __name__ == "__main__":
    main()
