"""The estimate suggestion engine and the synthetic history: plain data, no database."""

import random
import threading
import time
from datetime import date, timedelta
from decimal import Decimal

import pytest

from repairs import catalogue
from repairs.suggestions import (
    CATEGORIES,
    THRESHOLD,
    IndexCache,
    PartUsed,
    PastRepair,
    SuggestionIndex,
    problem_category,
)

START = date(2023, 1, 2)
END = date(2025, 12, 31)


def repair(n, problem, *, device_type="phone", brand="Apple", model="iPhone 12",
           price="100.00", minutes=30, parts=(), finished=None):  # fmt: skip
    return PastRepair(
        ticket_id=n,
        number=f"RP-{n:06d}",
        device_type=device_type,
        brand=brand,
        model=model,
        problem=problem,
        price=Decimal(price),
        minutes=minutes,
        parts=parts,
        finished=finished or START + timedelta(days=n),
    )


def history(*specs):
    """Past repairs numbered from 1: each spec is (problem, keyword arguments)."""
    return [repair(n, problem, **extra) for n, (problem, extra) in enumerate(specs, 1)]


def from_catalogue(synthetic):
    return [
        PastRepair(
            ticket_id=n,
            number=f"RP-{n:06d}",
            device_type=r.device_type,
            brand=r.brand,
            model=r.model,
            problem=r.problem,
            price=r.price,
            minutes=r.minutes,
            parts=tuple(PartUsed(None, name, qty) for name, qty, _ in r.parts),
            finished=r.finished,
        )
        for n, r in enumerate(synthetic, 1)
    ]


@pytest.fixture(scope="module")
def shop():
    """An index over 4,000 synthetic repairs."""
    synthetic = catalogue.generate(random.Random(11), 4000, start=START, end=END)
    return SuggestionIndex.build(from_catalogue(synthetic))


MIXED = history(
    ("cracked screen", {"price": "190.00"}),
    ("screen cracked after drop", {"price": "185.00"}),
    ("Cracked screen", {"price": "195.00"}),
    ("smashed screen", {"price": "180.00"}),
    ("battery drains fast", {"price": "80.00"}),
    ("battery drains fast", {"price": "85.00"}),
    ("battery drains fast", {"price": "75.00"}),
    ("cracked screen", {"model": "iPhone 13", "price": "210.00"}),
    ("cracked screen", {"model": "iPhone 11", "price": "150.00"}),
    ("cracked screen", {"brand": "Samsung", "model": "Galaxy S21", "price": "170.00"}),
    ("cracked screen", {"device_type": "laptop", "model": "MacBook Air M1"}),
    ("cracked back", {"price": "120.00"}),
)


def test_similar_repairs_are_the_same_model_and_fault():
    index = SuggestionIndex.build(MIXED)
    suggestion = index.suggest(
        device_type="phone", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    assert suggestion.enough_history
    ids = [s.repair.ticket_id for s in suggestion.similar]
    assert ids[:2] == [3, 1]  # the same words; the more recent first
    assert set(ids[:4]) == {1, 2, 3, 4}  # the iPhone 12 screens, then other models
    assert set(ids[4:]) <= {8, 9, 10}  # not the batteries, laptop or back glass
    assert suggestion.similar[0].score == pytest.approx(1.0)
    assert Decimal("180.00") <= suggestion.price_typical <= Decimal("195.00")
    assert suggestion.reason == (
        f"Based on {len(ids)} similar past repairs, the closest being RP-000003 "
        '(Apple iPhone 12, "Cracked screen").'
    )


def test_results_are_best_first_above_the_threshold_and_limited():
    index = SuggestionIndex.build(MIXED)
    suggestion = index.suggest(
        device_type="phone",
        brand="Apple",
        model="iPhone 12",
        problem="cracked screen",
        neighbours=3,
    )

    scores = [s.score for s in suggestion.similar]
    assert len(scores) == 3
    assert scores == sorted(scores, reverse=True)
    assert all(THRESHOLD <= score <= 1 for score in scores)


def test_among_equal_matches_the_most_recent_come_first():
    repairs = history(*[("cracked screen", {}) for _ in range(12)])
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    assert [s.repair.ticket_id for s in suggestion.similar] == list(range(12, 4, -1))


def test_a_laptop_never_gets_phone_repairs():
    index = SuggestionIndex.build(MIXED)
    suggestion = index.suggest(
        device_type="laptop", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    assert [s.repair.device_type for s in suggestion.similar] == ["laptop"]
    assert not suggestion.enough_history


def test_a_device_type_without_history_finds_nothing(shop):
    suggestion = shop.suggest(
        device_type="drone", brand="DJI", model="Mini 3", problem="battery dead"
    )

    assert not suggestion.enough_history
    assert suggestion.similar == ()
    assert suggestion.reason.startswith("No similar past repairs")


def test_laptop_queries_on_a_real_history_stay_laptops(shop):
    suggestion = shop.suggest(
        device_type="Laptop",
        brand="Apple",
        model="MacBook Air M1 13-inch",
        problem="cracked screen",
    )

    assert suggestion.enough_history
    assert {s.repair.device_type for s in suggestion.similar} == {"laptop"}


@pytest.mark.parametrize("typed", ["iphone12", "IPHONE 12", "iPhne 12", "iPhone-12"])
def test_model_spelling_still_matches(typed):
    repairs = history(
        *[("cracked screen", {"model": "iPhone 12", "price": "190.00"})] * 4,
        *[("cracked screen", {"model": "iPhone 13", "price": "210.00"})] * 4,
        *[("cracked screen", {"model": "iPhone 11", "price": "150.00"})] * 4,
    )
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone",
        brand="apple",
        model=typed,
        problem="cracked scren",
        neighbours=4,
    )

    assert [s.repair.model for s in suggestion.similar] == ["iPhone 12"] * 4
    assert suggestion.price_typical == Decimal("190.00")


def test_a_dearer_model_gets_a_dearer_suggestion(shop):
    prices = [
        shop.suggest(
            device_type="phone", brand="Apple", model=model, problem="cracked screen"
        ).price_typical
        for model in ("iPhone 11", "iPhone 15 Pro Max")
    ]

    assert prices[0] + 50 < prices[1]


def test_range_is_ordered_and_in_cents(shop):
    queries = catalogue.generate(random.Random(5), 150, start=START, end=END)
    answered = 0
    for query in queries:
        suggestion = shop.suggest(
            device_type=query.device_type,
            brand=query.brand,
            model=query.model,
            problem=query.problem,
        )
        if not suggestion.enough_history:
            continue
        answered += 1
        prices = suggestion.price_low, suggestion.price_typical, suggestion.price_high
        assert all(
            isinstance(p, Decimal) and p.as_tuple().exponent == -2 for p in prices
        )
        assert prices[0] <= prices[1] <= prices[2]
        assert prices[0] > 0
        minutes = (
            suggestion.minutes_low,
            suggestion.minutes_typical,
            suggestion.minutes_high,
        )
        assert all(isinstance(m, int) for m in minutes)
        assert minutes[0] <= minutes[1] <= minutes[2]
    assert answered > 120


def test_quartiles_of_equally_similar_repairs():
    prices = ["100.00", "110.00", "120.00", "130.00", "140.00"]
    repairs = history(*[("cracked screen", {"price": p}) for p in prices])
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    # Equal weights: the five prices sit at 10 %, 30 %, 50 %, 70 % and 90 %.
    assert suggestion.price_low == Decimal("107.50")
    assert suggestion.price_typical == Decimal("120.00")
    assert suggestion.price_high == Decimal("132.50")


def test_minutes_need_enough_recorded_times():
    repairs = history(
        ("cracked screen", {"minutes": 40}),
        ("cracked screen", {"minutes": None}),
        ("cracked screen", {"minutes": 0}),  # not recorded either
        ("cracked screen", {"minutes": 50}),
    )
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    assert suggestion.enough_history
    assert suggestion.minutes_typical is None
    assert suggestion.price_typical == Decimal("100.00")


def test_parts_most_similar_repairs_used_are_offered():
    screen = PartUsed(7, "iPhone 12 screen assembly", 1)
    glue = PartUsed(None, "Adhesive strips", 2)
    repairs = history(
        ("cracked screen", {"parts": (screen, glue)}),
        ("cracked screen", {"parts": (screen,)}),
        ("cracked screen", {"parts": (screen, glue)}),
        ("cracked screen", {"parts": (screen, PartUsed(9, "Screen protector", 1))}),
        ("cracked screen", {"parts": ()}),
    )
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    offered = [(p.product_id, p.name, p.quantity, p.share) for p in suggestion.parts]
    assert offered == [(7, "iPhone 12 screen assembly", 1, 0.8)]


def test_a_part_used_by_exactly_half_is_offered_with_its_median_quantity():
    switch = {"device_type": "console", "brand": "Nintendo", "model": "Switch"}
    two = (PartUsed(None, "Switch analog stick", 2),)
    one = (PartUsed(None, "Switch analog stick", 1),)
    repairs = history(
        ("joycon drift", {**switch, "parts": two}),
        ("joycon drift", {**switch, "parts": one + one}),  # two lines of one
        ("joycon drift", {**switch, "parts": ()}),
        ("joycon drift", {**switch, "parts": ()}),
    )
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="console", brand="Nintendo", model="Switch", problem="joy-con drift"
    )

    assert [(p.name, p.quantity, p.share) for p in suggestion.parts] == [
        ("Switch analog stick", 2, 0.5)
    ]


def test_an_empty_history_gives_no_price():
    index = SuggestionIndex.build([])
    suggestion = index.suggest(
        device_type="phone", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    assert len(index) == 0
    assert not suggestion.enough_history
    assert suggestion.price_typical is suggestion.price_low is None
    assert suggestion.minutes_typical is None
    assert suggestion.similar == () and suggestion.parts == ()
    assert suggestion.reason == (
        "No past repairs yet; not enough history to suggest a price."
    )


@pytest.mark.parametrize(
    ("matching", "reason"),
    [
        (1, "Only 1 similar past repair; not enough history to suggest a price."),
        (2, "Only 2 similar past repairs; not enough history to suggest a price."),
    ],
)
def test_a_tiny_history_says_so(matching, reason):
    repairs = history(
        *[("cracked screen", {})] * matching,
        ("battery drains fast", {}),
        ("cracked screen", {"device_type": "tablet", "model": "iPad Air"}),
    )
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone", brand="Apple", model="iPhone 12", problem="cracked screen"
    )

    assert len(index) == matching + 2
    assert not suggestion.enough_history
    assert suggestion.price_low is suggestion.price_high is None
    assert len(suggestion.similar) == matching
    assert suggestion.reason == reason


def test_history_with_blank_text_still_builds():
    repairs = history(
        ("", {"brand": "", "model": ""}), ("", {"brand": "", "model": ""})
    )
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(device_type="phone", brand="", model="", problem="")

    assert len(index) == 2
    assert not suggestion.enough_history


def test_two_faults_add_up():
    repairs = history(
        *[("cracked screen", {"price": "190.00", "minutes": 40})] * 3,
        *[("battery drains fast", {"price": "80.00", "minutes": 25})] * 3,
    )
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone",
        brand="Apple",
        model="iPhone 12",
        problem="Cracked screen + battery drains fast",
    )

    assert suggestion.enough_history
    assert suggestion.price_typical == Decimal("270.00")
    assert suggestion.minutes_typical == 65
    assert {s.repair.problem for s in suggestion.similar} == {
        "cracked screen",
        "battery drains fast",
    }
    assert '3 for "Cracked screen"' in suggestion.reason
    assert '3 for "battery drains fast"' in suggestion.reason


def test_one_fault_without_history_withholds_the_price():
    repairs = history(*[("cracked screen", {})] * 3, ("battery drains fast", {}))
    index = SuggestionIndex.build(repairs)
    suggestion = index.suggest(
        device_type="phone",
        brand="Apple",
        model="iPhone 12",
        problem="cracked screen + battery drains fast",
    )

    assert not suggestion.enough_history
    assert suggestion.price_typical is None
    assert suggestion.reason == (
        'Only 1 similar past repair for "battery drains fast"; '
        "not enough history to suggest a price."
    )


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("Cracked scrn", "screen"),
        ("display broken, dropped it", "screen"),
        ("Battery drains fast", "battery"),
        ("batt health 74%", "battery"),
        ("battery swollen, trackpad lifted", "battery"),
        ("won't charge", "charging"),
        ("wont hold charge", "battery"),
        ("dropped in water, wont turn on", "water"),
        ("black screen when opening camera", "camera"),
        ("people can't hear me", "audio"),
        ("joy-con drift", "buttons"),
        ("power button stuck", "buttons"),
        ("sticky keys", "keyboard"),
        ("SSD upgrade", "storage"),
        ("fan loud, gets very hot", "overheating"),
        ("HDMI port broken", "ports"),
        ("back glass cracked", "housing"),
        ("stuck on apple logo", "software"),
        ("wont boot, blue screen", "software"),
        ("PSU dead", "power"),
        ("customer wants a quote", "other"),
        ("", "other"),
    ],
)
def test_problem_category(text, category):
    assert problem_category(text) == category
    assert category in CATEGORIES


def test_cache_builds_once_per_version():
    cache = IndexCache()
    builds = []

    def build():
        builds.append(1)
        return SuggestionIndex.build(MIXED)

    first = cache.get(1, build)
    assert cache.get(1, build) is first
    assert len(builds) == 1

    second = cache.get(2, build)
    assert second is not first
    assert cache.get(2, build) is second
    assert len(builds) == 2

    cache.clear()
    assert cache.get(2, build) is not second
    assert len(builds) == 3


def test_cache_builds_once_for_concurrent_requests():
    cache = IndexCache()
    builds = []
    start = threading.Barrier(2)
    results = []

    def build():
        builds.append(threading.get_ident())
        time.sleep(0.2)  # long enough for the other thread to ask meanwhile
        return SuggestionIndex.build(MIXED)

    def ask():
        start.wait()
        results.append(cache.get("v1", build))

    threads = [threading.Thread(target=ask) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(builds) == 1
    assert len(results) == 2 and results[0] is results[1]


def test_a_failed_build_is_not_cached():
    cache = IndexCache()

    def broken():
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        cache.get(1, broken)
    assert len(cache.get(1, lambda: SuggestionIndex.build(MIXED))) == len(MIXED)


def test_catalogue_is_deterministic_for_a_seed():
    first = catalogue.generate(random.Random(42), 300, start=START, end=END)
    again = catalogue.generate(random.Random(42), 300, start=START, end=END)
    other = catalogue.generate(random.Random(43), 300, start=START, end=END)

    assert first == again
    assert first != other


def test_catalogue_prices_add_up():
    repairs = catalogue.generate(random.Random(7), 2000, start=START, end=END)
    known = {name: price for name, _, price in catalogue.part_names()}

    assert [r.finished for r in repairs] == sorted(r.finished for r in repairs)
    assert all(START <= r.finished <= END for r in repairs)
    for r in repairs:
        parts = sum((price * qty for _, qty, price in r.parts), Decimal(0))
        assert r.price == r.labour + parts
        assert isinstance(r.price, Decimal) and r.price > 0
        assert r.price.as_tuple().exponent == -2 and r.labour >= 0
        assert r.minutes > 0
        assert r.device_type in catalogue.DEVICES
        assert r.category in CATEGORIES
        assert all(known[name] == price for name, _, price in r.parts)
    assert any(not r.parts for r in repairs)
    assert len({r.device_type for r in repairs}) == len(catalogue.DEVICES)


def test_catalogue_parts_are_priced_by_model():
    prices = {name: (cost, price) for name, cost, price in catalogue.part_names()}

    cheap = prices["iPhone 11 screen assembly"]
    dear = prices["iPhone 15 Pro Max screen assembly"]
    assert dear[1] > cheap[1] > cheap[0] > 0
    assert all(0 < cost < price for cost, price in prices.values())
