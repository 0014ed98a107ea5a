from loadmgr_locust.intervals import span_ms


def test_span_is_locusts_own_basis_of_its_rates():
    # StatsEntry.total_rps divides by last_request_timestamp - start_time (seconds, floats).
    assert span_ms(1000.0, 1005.1234) == 5123
    assert span_ms(1000.0, None) == 0
    assert span_ms(None, 1000.0) == 0
    assert span_ms(1000.0, 999.0) == 0
