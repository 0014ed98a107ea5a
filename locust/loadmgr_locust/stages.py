"""A run's stages as a Locust LoadTestShape, so a user need not write one.

Each stage holds `users` (reached at `spawnRate` users per second) for `durationSec`, in order,
as in Locust's own "stages" example. After the last stage the shape keeps its figures: the
plugin ends the run at its duration (the stages' sum), so Locust never ends it as "shape done".
"""

from __future__ import annotations

import json
import logging
from typing import Any, Dict, List, Optional, Tuple

from locust import LoadTestShape

logger = logging.getLogger("loadmgr")


def parse_stages(text: str) -> List[Dict[str, float]]:
    stages = json.loads(text)
    if not isinstance(stages, list) or not stages:
        raise ValueError("--loadmgr-stages needs a JSON list of {durationSec, users, spawnRate}")
    out = []
    for stage in stages:
        out.append({"durationSec": float(stage["durationSec"]), "users": int(stage["users"]), "spawnRate": float(stage["spawnRate"])})
    return out


def stage_at(stages: List[Dict[str, float]], elapsed: float) -> Dict[str, float]:
    end = 0.0
    for stage in stages:
        end += stage["durationSec"]
        if elapsed < end:
            return stage
    return stages[-1]


class StagesShape(LoadTestShape):
    """The run's stages (a class per run: Locust lists shapes by class name)."""

    stages: List[Dict[str, float]] = []

    def tick(self) -> Optional[Tuple[int, float]]:
        stage = stage_at(self.stages, self.get_run_time())
        return int(stage["users"]), float(stage["spawnRate"])


def install(environment: Any, stages_json: str) -> None:
    """Makes the run's stages drive the load, in place of any shape class the locustfile has."""
    stages = parse_stages(stages_json)
    own = environment.shape_class
    if own is not None:
        logger.warning(
            "loadmgr: the run's %d stages drive the load; the locustfile's shape class %s is not used",
            len(stages),
            type(own).__name__,
        )
    shape = StagesShape()
    shape.stages = stages
    shape.runner = environment.runner
    environment.shape_class = shape
    logger.info("loadmgr: load shape: %s", ", ".join(f"{s['users']} users for {s['durationSec']:g}s" for s in stages))
