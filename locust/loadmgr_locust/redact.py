"""Secret values out of what a run writes and reports: as they are, and in every encoding a script's
traffic may give them (percent-encoded either way, `+` for a space, JSON-escaped, base64).

The server redacts again what it stores (server/src/secrets/redact.ts, the same variants); here the
supervisor keeps them out of Locust's log and the plugin out of Locust's statistics, its CSV files
and the request samples, so that no secret is written in the clear on the generator's disk either.
Redaction is for mistakes, not for a hostile script: one that prints its secret reversed shows it.
"""

from __future__ import annotations

import base64
import json
import os
import re
import urllib.parse
from typing import IO, Iterable, List, Optional

MASK = "***"
#: A variant shorter than this is not hidden (it would hide everything).
MIN_LENGTH = 4
#: Set in a run's environment: the names of its secrets (their values are its environment too).
NAMES_ENV = "LOADMGR_SECRET_NAMES"


def variants(value: str) -> List[str]:
    """The forms of `value` to hide, longest first."""
    raw = value.encode("utf-8")
    forms = {
        value,
        json.dumps(value)[1:-1],
        json.dumps(value, ensure_ascii=False)[1:-1],
        urllib.parse.quote(value, safe=""),
        urllib.parse.quote(value, safe="/"),
        urllib.parse.quote(value, safe="~()*!.'"),  # JavaScript's encodeURIComponent
        urllib.parse.quote(value, safe="~()*!.'").replace("%20", "+"),  # ... as a form's field
        urllib.parse.quote(value, safe=";,/?:@&=+$-_.!~*'()#"),  # JavaScript's encodeURI
        urllib.parse.quote_plus(value, safe=""),
        urllib.parse.quote_plus(value, safe="/"),
        value.replace(" ", "+"),
        base64.b64encode(raw).decode(),
        base64.b64encode(raw).decode().rstrip("="),
        base64.urlsafe_b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
    }
    # Percent-encoding with lower-case hex digits (some clients write %2f).
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m.group().lower(), form) for form in list(forms) if "%" in form}
    return sorted((f for f in forms if len(f) >= MIN_LENGTH), key=len, reverse=True)


class Redactor:
    def __init__(self, values: Iterable[str]) -> None:
        forms = sorted({form for value in values if len(value) >= MIN_LENGTH for form in variants(value)}, key=len, reverse=True)
        self.longest = max((len(f) for f in forms), default=0)
        self._pattern: Optional[re.Pattern] = re.compile("|".join(re.escape(f) for f in forms)) if forms else None

    def __bool__(self) -> bool:
        return self._pattern is not None

    def text(self, text: str) -> str:
        return self._pattern.sub(MASK, text) if self._pattern is not None and text else text

    @staticmethod
    def from_environment() -> "Redactor":
        names = [n for n in os.environ.get(NAMES_ENV, "").split(",") if n]
        return Redactor(os.environ.get(name, "") for name in names)


def copy_redacted(source: IO[bytes], sink: IO[bytes], redactor: Redactor, chunk: int = 65536) -> None:
    """Copies a stream to another, line by line, with every secret hidden (also one split over reads).

    A line longer than `chunk` is written in pieces, each but the last holding back as many bytes as
    the longest form of a secret, so a value cut by a piece boundary is still found whole.
    """
    held = ""
    while True:
        data = source.read1(chunk) if hasattr(source, "read1") else source.read(chunk)  # type: ignore[attr-defined]
        if not data:
            break
        held += data.decode("utf-8", "replace")
        if "\n" in held:
            complete, held = held.rsplit("\n", 1)
            sink.write((redactor.text(complete) + "\n").encode())
        if len(held) > chunk + redactor.longest:
            # Every secret that begins before the held-back tail ends inside `held`: hidden already.
            text = redactor.text(held)
            keep = redactor.longest
            sink.write(text[: len(text) - keep].encode())
            held = text[len(text) - keep :]
        sink.flush()
    if held:
        sink.write(redactor.text(held).encode())
        sink.flush()
