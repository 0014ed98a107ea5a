"""Helpers the locustfile imports as it would on a laptop: `from lib.shop import …`."""

import csv
import itertools


class Accounts:
    """The rows of a CSV of accounts, handed out in turn."""

    def __init__(self, path):
        with open(path, newline="") as handle:
            self.rows = list(csv.DictReader(handle))
        self._cycle = itertools.cycle(self.rows) if self.rows else None

    def next(self):
        return next(self._cycle) if self._cycle is not None else {"name": "anonymous"}


def browse_path(account):
    return f"/?user={account['name']}"
