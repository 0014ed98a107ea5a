import random

from loadmgr_locust.samples import MAX_FAILURES_PER_INTERVAL, RequestSampler, make_sample


def sample(i, success=True):
    return make_sample("GET", "/items", i, None if success else RuntimeError("boom"), ended_at=1000 + i / 1000)


def test_keeps_every_failure_and_at_most_capacity_successes_oldest_first():
    sampler = RequestSampler(capacity=20, rng=random.Random(1))
    for i in range(1000):
        sampler.add(sample(i, success=i % 100 != 0))
    kept = sampler.take()
    failures = [s for s in kept if not s["success"]]
    assert [s["responseMs"] for s in failures] == [float(i) for i in range(0, 1000, 100)]
    assert all(s["error"] == "RuntimeError('boom')" for s in failures)
    assert len([s for s in kept if s["success"]]) == 20
    assert [s["timestamp"] for s in kept] == sorted(s["timestamp"] for s in kept)
    assert sampler.take() == []


def test_successes_are_a_uniform_sample():
    # Over many intervals each success has the same chance: every quarter of the stream is kept alike.
    rng = random.Random(7)
    quarters = [0, 0, 0, 0]
    for _ in range(400):
        sampler = RequestSampler(capacity=10, rng=rng)
        for i in range(400):
            sampler.add({**sample(i), "i": i})
        for kept in sampler.take():
            quarters[kept["i"] // 100] += 1
    assert sum(quarters) == 4000
    assert all(abs(q - 1000) < 120 for q in quarters), quarters


def test_caps_failures_and_a_zero_capacity_keeps_only_failures():
    sampler = RequestSampler(capacity=0)
    for i in range(MAX_FAILURES_PER_INTERVAL + 50):
        sampler.add(sample(i, success=False))
    sampler.add(sample(1))
    kept = sampler.take()
    assert len(kept) == MAX_FAILURES_PER_INTERVAL
    assert all(not s["success"] for s in kept)


def test_sample_fields_match_the_ingest_schema():
    s = make_sample("POST", "/cart", 12.3456, None, ended_at=2.0, url="http://127.0.0.1/cart")
    assert s == {"timestamp": 1987, "method": "POST", "name": "/cart", "responseMs": 12.346, "success": True,
                 "url": "http://127.0.0.1/cart"}
    assert make_sample("GET", "", None, ValueError("x"), ended_at=1.0)["name"] == "?"


def test_offer_keeps_what_add_would_without_building_the_rest():
    sampler = RequestSampler(capacity=5, rng=random.Random(3))
    for i in range(1000):
        sampler.offer("GET", "/items", float(i), None if i % 250 else ValueError("bad"), url=f"http://h/items/{i}")
    kept = sampler.take()
    assert len([s for s in kept if s["success"]]) == 5
    assert sorted(s["responseMs"] for s in kept if not s["success"]) == [0.0, 250.0, 500.0, 750.0]
    assert all(s["url"].startswith("http://h/items/") for s in kept)
