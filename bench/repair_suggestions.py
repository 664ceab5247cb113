"""Repair estimate suggestions: quality and latency on a held-out synthetic history.

    .venv/bin/python bench/repair_suggestions.py
    .venv/bin/python bench/repair_suggestions.py --history 5000 --seed 3 --queries 500

Generates a synthetic repair history over about three years (repairs.catalogue),
holds out the most recent 10 % (a time split: the index only knows the past),
builds the index on the rest, and asks for a suggestion for every held-out
repair with its device type, brand, model and problem. Measured:

- build time, and the memory the built index holds (traced in a second build);
- suggest() latency percentiles, one query at a time;
- coverage: the share of queries with enough history for a price;
- price error of price_typical against the price actually billed: mean absolute
  error (mae, in currency units) and median absolute percentage error (mdape,
  a fraction), and the share of actual prices inside [price_low, price_high]
  (in_range; the range is the 25th to 75th percentile, so about half is
  expected); minutes_mae, the mean absolute error of minutes_typical;
- the same price errors for a baseline that needs no engine: the median price of
  past repairs of the same device type and problem_category (the device type's
  median when the category never occurred), on the same queries;
- problem_category accuracy against the generator's true repair kind.

Errors, the baseline's too, are over the covered queries only (where the engine
gives a price). A tenth of the repairs have no bench time recorded, as in a real
shop. The last line is the summary:
  suggest history=20000 seed=1 ... build_s=... p50_ms=... p99_ms=... coverage=...
  mae=... mdape=... in_range=... baseline_mae=... baseline_mdape=... ...
"""

import argparse
import gc
import random
import statistics
import sys
import time
import tracemalloc
from collections import defaultdict
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from repairs.catalogue import generate  # noqa: E402
from repairs.suggestions import (  # noqa: E402
    PartUsed,
    PastRepair,
    SuggestionIndex,
    problem_category,
)

START = date(2023, 1, 2)
END = date(2025, 12, 31)
UNTIMED_SHARE = 0.1


def past_repairs(synthetic, rng):
    return [
        PastRepair(
            ticket_id=n,
            number=f"RP-{n:06d}",
            device_type=r.device_type,
            brand=r.brand,
            model=r.model,
            problem=r.problem,
            price=r.price,
            minutes=None if rng.random() < UNTIMED_SHARE else r.minutes,
            parts=tuple(PartUsed(None, name, qty) for name, qty, _ in r.parts),
            finished=r.finished,
        )
        for n, r in enumerate(synthetic, start=1)
    ]


class Baseline:
    """Median price and minutes of past repairs of a device type and problem category.

    The device type's medians when the category has no past repair (or no timed
    one, for the minutes).
    """

    def __init__(self, repairs):
        prices, minutes = defaultdict(list), defaultdict(list)
        for r in repairs:
            for key in (r.device_type, problem_category(r.problem)), (r.device_type,):
                prices[key].append(r.price)
                if r.minutes is not None:
                    minutes[key].append(r.minutes)
        self.prices = {key: statistics.median(v) for key, v in prices.items()}
        self.minutes = {key: statistics.median(v) for key, v in minutes.items()}

    def guess(self, device_type, problem):
        """(price, minutes)."""
        key = device_type, problem_category(problem)
        price = self.prices.get(key) or self.prices[device_type,]
        minutes = self.minutes.get(key) or self.minutes[device_type,]
        return price, minutes


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def price_errors(pairs):
    """Mean absolute error and median absolute percentage error of (guess, actual)."""
    if not pairs:
        return float("nan"), float("nan")
    errors = [abs(guess - actual) for guess, actual in pairs]
    mae = float(sum(errors) / len(errors))
    mdape = float(statistics.median(abs(guess - a) / a for guess, a in pairs))
    return mae, mdape


def index_memory_mb(training):
    """Bytes still allocated by a built index (numpy and scipy included)."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    index = SuggestionIndex.build(training)
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del index
    return held / 1e6


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--history", type=int, default=20_000, help="repairs to generate (20,000)"
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
    parser.add_argument(
        "--queries", type=int, default=None, help="held-out queries to ask (all)"
    )
    args = parser.parse_args()

    rng = random.Random(args.seed)
    synthetic = generate(rng, args.history, start=START, end=END)
    repairs = past_repairs(synthetic, rng)
    split = len(repairs) - len(repairs) // 10
    training, held_out = repairs[:split], repairs[split:]
    queries = held_out[: args.queries] if args.queries else held_out
    print(f"history={len(repairs)} training={len(training)} queries={len(queries)}")

    started = time.perf_counter()
    index = SuggestionIndex.build(training)
    build_s = time.perf_counter() - started
    memory_mb = index_memory_mb(training)
    baseline = Baseline(training)

    latencies, engine, base, in_range, minutes, base_minutes = [], [], [], [], [], []
    for query in queries:
        started = time.perf_counter()
        suggestion = index.suggest(
            device_type=query.device_type,
            brand=query.brand,
            model=query.model,
            problem=query.problem,
        )
        latencies.append((time.perf_counter() - started) * 1000)
        if not suggestion.enough_history:
            continue
        guess_price, guess_minutes = baseline.guess(query.device_type, query.problem)
        engine.append((suggestion.price_typical, query.price))
        base.append((guess_price, query.price))
        in_range.append(suggestion.price_low <= query.price <= suggestion.price_high)
        if suggestion.minutes_typical is not None and query.minutes is not None:
            minutes.append(abs(suggestion.minutes_typical - query.minutes))
            base_minutes.append(abs(guess_minutes - query.minutes))

    mae, mdape = price_errors(engine)
    baseline_mae, baseline_mdape = price_errors(base)
    kinds = [problem_category(r.problem) == r.category for r in synthetic[split:]]
    print(
        f"suggest history={len(repairs)} seed={args.seed} queries={len(queries)} "
        f"build_s={build_s:.2f} index_mb={memory_mb:.1f} "
        f"p50_ms={percentile(latencies, 0.5):.2f} "
        f"p95_ms={percentile(latencies, 0.95):.2f} "
        f"p99_ms={percentile(latencies, 0.99):.2f} max_ms={max(latencies):.2f} "
        f"coverage={len(engine) / len(queries):.3f} mae={mae:.2f} mdape={mdape:.3f} "
        f"in_range={sum(in_range) / max(1, len(in_range)):.3f} "
        f"minutes_mae={mean(minutes):.1f} "
        f"baseline_mae={baseline_mae:.2f} baseline_mdape={baseline_mdape:.3f} "
        f"baseline_minutes_mae={mean(base_minutes):.1f} "
        f"category_accuracy={sum(kinds) / len(kinds):.3f}"
    )


def mean(values):
    return statistics.mean(values) if values else float("nan")


if __name__ == "__main__":
    main()
