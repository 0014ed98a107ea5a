from loadmgr_locust.intervals import CumulativeDiffer, Interval


def test_worker_deltas_add_up_per_endpoint():
    interval = Interval()
    report = [
        {"method": "GET", "name": "/a", "num_requests": 3, "num_failures": 1, "total_response_time": 30.0,
         "min_response_time": 5, "max_response_time": 15, "response_times": {5: 1, 10: 1, 15: 1}},
    ]
    interval.add_worker_stats(report)
    interval.add_worker_stats(report)
    interval.add_worker_errors({"k": {"method": "GET", "name": "/a", "error": "HTTPError('500')", "occurrences": 1}})
    endpoints, errors = interval.take()
    assert endpoints == [{"method": "GET", "name": "/a", "requests": 6, "failures": 2, "sumResponseMs": 60.0,
                          "minResponseMs": 5, "maxResponseMs": 15, "histogram": [[5, 2], [10, 2], [15, 2]]}]
    assert errors == [{"method": "GET", "name": "/a", "error": "HTTPError('500')", "occurrences": 1}]
    assert interval.take() == ([], [])


def test_cumulative_stats_become_interval_deltas():
    differ, interval = CumulativeDiffer(), Interval()
    differ.feed_entry(interval, "GET", "/a", 2, 0, 20.0, {10: 2})
    first, _ = interval.take()
    differ.feed_entry(interval, "GET", "/a", 5, 1, 80.0, {10: 3, 30: 2})
    second, _ = interval.take()
    assert first[0]["requests"] == 2 and first[0]["histogram"] == [[10, 2]]
    assert second[0]["requests"] == 3 and second[0]["failures"] == 1
    assert second[0]["histogram"] == [[10, 1], [30, 2]]
    assert second[0]["sumResponseMs"] == 60.0
    assert (second[0]["minResponseMs"], second[0]["maxResponseMs"]) == (10, 30)


def test_an_idle_endpoint_is_left_out_and_a_reset_starts_over():
    differ, interval = CumulativeDiffer(), Interval()
    differ.feed_entry(interval, "GET", "/a", 4, 0, 40.0, {10: 4})
    interval.take()
    differ.feed_entry(interval, "GET", "/a", 4, 0, 40.0, {10: 4})
    assert interval.take() == ([], [])
    differ.feed_entry(interval, "GET", "/a", 1, 0, 7.0, {7: 1})  # Locust reset its stats
    endpoints, _ = interval.take()
    assert endpoints[0]["requests"] == 1 and endpoints[0]["histogram"] == [[7, 1]]


def test_error_occurrences_are_diffed():
    differ, interval = CumulativeDiffer(), Interval()
    differ.feed_error(interval, "GET", "/a", "boom", 2)
    differ.feed_error(interval, "GET", "/a", "boom", 5)
    _, errors = interval.take()
    assert errors == [{"method": "GET", "name": "/a", "error": "boom", "occurrences": 5}]
