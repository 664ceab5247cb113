"""The API's rate limit, counted once for every worker that shares the cache.

Each gunicorn worker is a process with its own cache client; with a shared
Redis they must see one count per token. Two cache objects with their own
connections to the same Redis stand for two workers here.
"""

import os
import threading
import uuid
from types import SimpleNamespace

import pytest
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

from accounts.api_auth import ApiRateThrottle
from accounts.models import ApiToken

REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/3")
NOW = 1_800_000_030.0  # half a minute into a minute


def redis_cache(prefix):
    """A cache client of its own, as a worker process has."""
    return RedisCache(REDIS_URL, {"KEY_PREFIX": prefix})


@pytest.fixture
def worker_caches():
    """Two workers' caches on one Redis, under a prefix of this test's own."""
    prefix = f"throttle-test-{uuid.uuid4().hex}"
    first, second = redis_cache(prefix), redis_cache(prefix)
    try:
        first.get("ping")
    except Exception as exc:  # redis raises ConnectionError subclasses
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no Redis at {REDIS_URL}: {exc}")
    yield first, second
    first.clear()
    first.close()
    second.close()


def throttle_on(cache, rate, now=NOW):
    throttle = ApiRateThrottle()
    throttle.rate = rate
    throttle.num_requests, throttle.duration = throttle.parse_rate(rate)
    throttle.cache = cache
    throttle.timer = lambda: now
    return throttle


def request_with(token_pk):
    return SimpleNamespace(auth=ApiToken(pk=token_pk), user=None)


def test_two_workers_share_one_count_per_token(worker_caches):
    first, second = worker_caches
    workers = [throttle_on(first, "6/min"), throttle_on(second, "6/min")]
    answers = [workers[n % 2].allow_request(request_with(7), None) for n in range(10)]
    # With a count per worker each would let through six: twelve in all.
    assert answers == [True] * 6 + [False] * 4
    # Another token has a count of its own.
    assert workers[1].allow_request(request_with(8), None)


def test_requests_at_the_same_moment_on_two_workers_are_all_counted(worker_caches):
    # Eight threads on two connections: a count read and written back
    # (get, then set) loses the requests counted in between and lets more
    # through than the rate.
    first, second = worker_caches
    allowed = []
    barrier = threading.Barrier(8)

    def worker(cache):
        throttle = throttle_on(cache, "40/min")
        barrier.wait()
        for _ in range(25):
            allowed.append(throttle.allow_request(request_with(9), None))

    threads = [
        threading.Thread(target=worker, args=(first if n % 2 else second,))
        for n in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert allowed.count(True) == 40
    assert len(allowed) == 200


def test_the_previous_minute_still_counts_at_its_start():
    # Counted by the minute, a token could spend its rate at the end of one
    # minute and again at the start of the next: twice the rate in seconds.
    cache = LocMemCache(f"throttle-{uuid.uuid4().hex}", {})
    late = throttle_on(cache, "10/min", now=1_800_000_059.0)
    assert all(late.allow_request(request_with(1), None) for _ in range(10))
    early = throttle_on(cache, "10/min", now=1_800_000_061.0)
    assert not early.allow_request(request_with(1), None)
    assert 0 < early.wait() <= 60
    later = throttle_on(cache, "10/min", now=1_800_000_090.0)
    # Half way through the next minute, half the last one still counts.
    answers = [later.allow_request(request_with(1), None) for _ in range(10)]
    assert answers.count(True) == 5


def test_a_refused_request_does_not_count():
    cache = LocMemCache(f"throttle-{uuid.uuid4().hex}", {})
    throttle = throttle_on(cache, "3/min")
    assert [throttle.allow_request(request_with(1), None) for _ in range(8)] == (
        [True] * 3 + [False] * 5
    )
    next_minute = throttle_on(cache, "3/min", now=NOW + 50)
    # A third of the way into the next minute, two thirds of the last one's
    # three requests still count; its five refused ones would take all three.
    assert [next_minute.allow_request(request_with(1), None) for _ in range(3)] == [
        True,
        False,
        False,
    ]
