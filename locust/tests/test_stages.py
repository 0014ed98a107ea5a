"""A run's stages as a LoadTestShape, installed over whatever shape the locustfile has.

Locust must be imported before anything else imports ssl (gevent patches it), so the checks run in
a fresh interpreter rather than in pytest's.
"""

from __future__ import annotations

import json
import subprocess
import sys

STAGES = [{"durationSec": 10, "users": 5, "spawnRate": 1}, {"durationSec": 20, "users": 50, "spawnRate": 5}]

CHECKS = r"""
import json, logging, sys
from locust import HttpUser, LoadTestShape, task
from locust.env import Environment
from loadmgr_locust import stages

STAGES = json.loads(sys.argv[1])
out = {}
parsed = stages.parse_stages(json.dumps(STAGES))
out["users_at"] = [stages.stage_at(parsed, t)["users"] for t in (0, 9.9, 10, 29.9, 30, 500)]
refused = []
for bad in ["[]", "{}", '[{"users": 1}]', "not json"]:
    try:
        stages.parse_stages(bad)
    except (ValueError, KeyError, TypeError):
        refused.append(bad)
out["refused"] = refused

class Visitor(HttpUser):
    host = "http://127.0.0.1:9"
    @task
    def t(self):
        pass

class OwnShape(LoadTestShape):
    def tick(self):
        return None

messages = []
class Keep(logging.Handler):
    def emit(self, record):
        messages.append(record.getMessage())
logging.getLogger("loadmgr").addHandler(Keep())
logging.getLogger("loadmgr").setLevel(logging.INFO)
environment = Environment(user_classes=[Visitor], shape_class=OwnShape())
runner = environment.create_local_runner()
stages.install(environment, json.dumps(STAGES))
shape = environment.shape_class
out["installed"] = isinstance(shape, stages.StagesShape) and shape.runner is runner
out["first_tick"] = list(shape.tick())
out["said"] = any("shape class OwnShape is not used" in m for m in messages)
runner.quit()
print(json.dumps(out))
"""


def test_stages_drive_the_shape_over_the_locustfiles_own():
    done = subprocess.run([sys.executable, "-c", CHECKS, json.dumps(STAGES)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["users_at"] == [5, 5, 50, 50, 50, 50]
    assert out["refused"] == ["[]", "{}", '[{"users": 1}]', "not json"]
    assert out["installed"] is True
    assert out["first_tick"] == [5, 1.0]
    assert out["said"] is True
