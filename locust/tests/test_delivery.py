import os

from loadmgr_locust.delivery import Delivery


def test_failed_pushes_are_kept_and_resent_in_order(ingest):
    delivery = Delivery(ingest.url, "t" * 20, sleep=lambda s: None)
    ingest.fail_next = 3
    for seq in range(1, 4):
        delivery.enqueue("/v1/internal/locust/metrics", {"seq": seq})
        assert delivery.flush() is False
    assert delivery.deliver_all(5)
    assert [b["seq"] for b in ingest.bodies("/metrics")] == [1, 2, 3]
    assert ingest.calls[0][2] == "Bearer " + "t" * 20


def test_the_buffer_is_bounded_and_drops_the_oldest_snapshots_not_start_or_stop(ingest):
    delivery = Delivery("http://127.0.0.1:9", "t" * 20, max_pending=3, timeout=0.2)
    delivery.enqueue("/v1/internal/locust/test-start", {"n": 0})
    for seq in range(1, 5):
        delivery.enqueue("/v1/internal/locust/metrics", {"seq": seq})
    delivery.enqueue("/v1/internal/locust/test-stop", {"n": 9})
    assert delivery.pending == 3 and delivery.dropped == 3
    assert delivery.flush() is False
    delivery.base_url = ingest.url  # the server is reachable now
    assert delivery.deliver_all(5)
    assert ingest.paths() == ["/v1/internal/locust/test-start", "/v1/internal/locust/metrics", "/v1/internal/locust/test-stop"]
    assert ingest.bodies("/metrics") == [{"seq": 4}]


def test_final_delivery_gives_up_after_its_timeout():
    delivery = Delivery("http://127.0.0.1:9", "t" * 20, timeout=0.2)
    delivery.enqueue("/v1/internal/locust/test-stop", {})
    assert delivery.deliver_all(0.5) is False
    assert delivery.pending == 1


def test_a_finished_run_drops_everything(ingest):
    ingest.status_for["/v1/internal/locust/metrics"] = 409
    delivery = Delivery(ingest.url, "t" * 20)
    delivery.enqueue("/v1/internal/locust/metrics", {"seq": 1})
    delivery.enqueue("/v1/internal/locust/metrics", {"seq": 2})
    assert delivery.flush() is True
    assert delivery.run_over and delivery.pending == 0
    delivery.enqueue("/v1/internal/locust/metrics", {"seq": 3})
    assert delivery.pending == 0


def test_a_forked_copy_delivers_nothing(ingest):
    """A script that forks copies the reporter: only the process that made the delivery speaks for the run."""
    delivery = Delivery(ingest.url, "t" * 20, sleep=lambda s: None)
    delivery.enqueue("/v1/internal/locust/metrics", {"seq": 1})
    assert delivery.flush()
    delivery.enqueue("/v1/internal/locust/metrics", {"seq": 2})
    pid = os.fork()
    if pid == 0:
        try:
            delivery.enqueue("/v1/internal/locust/test-stop", {"reason": "error"})
            delivered = delivery.deliver_all(2)
            os._exit(0 if delivered and delivery.pending == 0 else 1)
        finally:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert ingest.paths() == ["/v1/internal/locust/metrics"]
    assert delivery.deliver_all(5)
    assert ingest.bodies("/metrics") == [{"seq": 1}, {"seq": 2}]
