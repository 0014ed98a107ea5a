"""Points schema-valid ingest bodies at the run under test (LM_RUN_ID), timed within its life.

Only values that are already valid are replaced, so a case meant to be invalid stays invalid.
"""

import os
import re
import time

import schemathesis

RUN_ID = os.environ["LM_RUN_ID"]
VALID_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


@schemathesis.hook
def before_call(context, case, **kwargs):
    body = case.body
    if not isinstance(body, dict):
        return
    if isinstance(body.get("runId"), str) and VALID_ID.match(body["runId"]):
        body["runId"] = RUN_ID
    timestamp = body.get("timestamp")
    if isinstance(timestamp, int) and not isinstance(timestamp, bool) and 0 <= timestamp <= 2**53 - 1:
        interval = body.get("intervalMs")
        # A snapshot's interval starts within the run's life too.
        lead = interval if isinstance(interval, int) and 0 <= interval <= 60_000 else 0
        body["timestamp"] = int(time.time() * 1000) - 1000 + lead
