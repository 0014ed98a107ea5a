"""A run's stages as a LoadTestShape, installed over whatever shape the locustfile has."""

from __future__ import annotations

import json
import logging

import pytest
from locust import HttpUser, LoadTestShape, task
from locust.env import Environment

from loadmgr_locust import stages

STAGES = [{"durationSec": 10, "users": 5, "spawnRate": 1}, {"durationSec": 20, "users": 50, "spawnRate": 5}]


class Visitor(HttpUser):
    host = "http://127.0.0.1:9"

    @task
    def t(self):
        pass


class OwnShape(LoadTestShape):
    def tick(self):
        return None


def test_the_stage_under_way_and_the_last_after_the_end():
    parsed = stages.parse_stages(json.dumps(STAGES))
    assert [stages.stage_at(parsed, t)["users"] for t in (0, 9.9, 10, 29.9, 30, 500)] == [5, 5, 50, 50, 50, 50]


@pytest.mark.parametrize("bad", ["[]", "{}", '[{"users": 1}]', "not json"])
def test_bad_stages_are_refused(bad):
    with pytest.raises((ValueError, KeyError, TypeError)):
        stages.parse_stages(bad)


def test_installs_over_the_locustfiles_shape_and_says_so(caplog):
    environment = Environment(user_classes=[Visitor], shape_class=OwnShape())
    runner = environment.create_local_runner()
    with caplog.at_level(logging.INFO, logger="loadmgr"):
        stages.install(environment, json.dumps(STAGES))
    shape = environment.shape_class
    assert isinstance(shape, stages.StagesShape) and shape.runner is runner
    assert shape.tick() == (5, 1.0)
    assert "shape class OwnShape is not used" in caplog.text
    runner.quit()
