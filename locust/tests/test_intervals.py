from loadmgr_locust.intervals import CumulativeDiffer, Interval, Seconds, bucket_ms


def test_requests_add_up_per_endpoint_in_locusts_buckets():
    interval = Interval()
    for response_time, failed in [(4.6, False), (147.0, True), (3432.0, False), (None, True)]:
        interval.add_request("GET", "/a", response_time, failed)
    interval.add_error("GET", "/a", "HTTPError('500')", 1)
    endpoints, errors = interval.take()
    # A request without a response time counts, but not in the figures (as in Locust's own stats).
    assert endpoints == [{"method": "GET", "name": "/a", "requests": 4, "failures": 2, "sumResponseMs": 3583.6,
                          "minResponseMs": 4.6, "maxResponseMs": 3432.0, "histogram": [[5, 1], [150, 1], [3400, 1]]}]
    assert errors == [{"method": "GET", "name": "/a", "error": "HTTPError('500')", "occurrences": 1}]
    assert interval.take() == ([], [])
    assert [bucket_ms(t) for t in (0.4, 99.4, 104.0, 999.0, 58760.0)] == [0, 99, 100, 1000, 59000]


def test_seconds_go_to_the_snapshot_of_the_interval_they_ended_in():
    seconds = Seconds()
    for at in (100.1, 100.9, 101.5, 102.2, 102.3, 103.0):
        seconds.record(at, "GET", "/a", 10.0, False)
    interval = Interval()
    seconds.take(interval, 102)  # seconds 100 and 101 are over
    endpoints, _ = interval.take()
    assert endpoints[0]["requests"] == 3
    seconds.take(interval)  # the final snapshot: everything left
    endpoints, _ = interval.take()
    assert endpoints[0]["requests"] == 3
    assert len(seconds) == 0


def test_workers_seconds_meet_at_their_master_and_a_late_one_counts_next():
    workers = [Seconds(), Seconds()]
    workers[0].record(200.2, "GET", "/a", 12.0, False)
    workers[1].record(200.7, "GET", "/a", 30.0, True)
    workers[1].record(201.1, "POST", "/b", 8.0, False)
    master = Seconds()
    for worker in workers:
        master.add_packed(worker.pack())
    assert len(workers[0]) == len(workers[1]) == 0  # a report empties what it sent
    interval = Interval()
    master.take(interval, 201)
    endpoints, _ = interval.take()
    assert [(e["name"], e["requests"], e["failures"], e["minResponseMs"], e["maxResponseMs"]) for e in endpoints] == [("/a", 2, 1, 12.0, 30.0)]
    # Second 200 was taken already when this report of it arrives: it goes into the next snapshot, not lost.
    late = Seconds()
    late.record(200.9, "GET", "/a", 20.0, False)
    master.add_packed(late.pack())
    master.take(interval, 202)
    endpoints, _ = interval.take()
    assert sorted((e["name"], e["requests"]) for e in endpoints) == [("/a", 1), ("/b", 1)]


def test_error_occurrences_are_diffed():
    differ, interval = CumulativeDiffer(), Interval()
    differ.feed_error(interval, "GET", "/a", "boom", 2)
    differ.feed_error(interval, "GET", "/a", "boom", 5)
    _, errors = interval.take()
    assert errors == [{"method": "GET", "name": "/a", "error": "boom", "occurrences": 5}]
