"""A run's project files: written into its work directory by the (trusted) supervisor.

The locustfile and its revision's other files go into work/ as they are. A worker process gets its
own copy of the tree under work/.workers/<N>/ when the revision has files to split, where each split CSV
holds only that worker's share of the rows (the header, then a contiguous block), so no two workers
read the same row. The run's own processes can write work/, and a start after a crash may find
there whatever they left (symlinks included): nothing here ever writes through a link.
"""

from __future__ import annotations

import base64
import functools
import os
import re
from typing import Any, Dict, List, Tuple

LOCUSTFILE = "locustfile.py"


def _parts(path: str) -> List[str]:
    parts = path.split("/")
    if path.startswith("/") or any(p in ("", ".", "..") for p in parts) or "\\" in path or "\x00" in path:
        raise ValueError(f"not a relative, normal path: {path!r}")
    return parts


def _open_dir(base_fd: int, parts: List[str]) -> int:
    fd = os.dup(base_fd)
    for part in parts:
        try:
            os.mkdir(part, 0o700, dir_fd=fd)
        except FileExistsError:
            pass
        child = os.open(part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW, dir_fd=fd)
        os.close(fd)
        fd = child
    return fd


def write_file(base: str, path: str, data: bytes) -> None:
    """Writes base/path, making its directories, replacing a file (or link) there, never following one."""
    parts = _parts(path)
    base_fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW)
    try:
        dir_fd = _open_dir(base_fd, parts[:-1])
    finally:
        os.close(base_fd)
    try:
        try:
            os.unlink(parts[-1], dir_fd=dir_fd)
        except FileNotFoundError:
            pass
        fd = os.open(parts[-1], os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600, dir_fd=dir_fd)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
    finally:
        os.close(dir_fd)


_QUOTE_OR_NEWLINE = re.compile(b'["\n]')


@functools.lru_cache(maxsize=4)
def csv_records(data: bytes) -> Tuple[bytes, ...]:
    """The records of a CSV file, each with its line end; a newline inside double quotes stays in its record.

    Cached: every worker's share of one file is cut from the same records (a file is scanned once).
    """
    if b'"' not in data:
        lines = data.split(b"\n")
        return tuple([line + b"\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else []))
    records: List[bytes] = []
    start = 0
    quoted = False
    for match in _QUOTE_OR_NEWLINE.finditer(data):
        if match.group() == b'"':
            quoted = not quoted
        elif not quoted:
            records.append(data[start : match.end()])
            start = match.end()
    if start < len(data):
        records.append(data[start:])
    return tuple(records)


@functools.lru_cache(maxsize=4)
def _header_and_rows(data: bytes) -> Tuple[bytes, Tuple[bytes, ...]]:
    records = csv_records(data)
    header = records[0] if records[0].endswith(b"\n") else records[0] + b"\n"
    return header, tuple(r for r in records[1:] if r.strip(b"\r\n") != b"")


def split_csv(data: bytes, index: int, total: int) -> bytes:
    """Share `index` of `total`: the header, then the index-th of `total` contiguous, near-equal blocks of rows."""
    if total <= 1 or not csv_records(data):
        return data
    header, rows = _header_and_rows(data)
    share = list(rows[len(rows) * index // total : len(rows) * (index + 1) // total])
    if share and not share[-1].endswith(b"\n"):
        share[-1] += b"\n"
    return header + b"".join(share)


def decoded(spec: Dict[str, Any]) -> Tuple[bytes, List[Tuple[str, bytes, bool]]]:
    """The locustfile and the other files (path, bytes, split) of a run's spec."""
    script = base64.b64decode(spec["scriptContent"])
    files = [(str(f["path"]), base64.b64decode(f["contentBase64"]), bool(f.get("split"))) for f in spec.get("files") or []]
    for path, _, _ in files:
        _parts(path)
    return script, files


def write_tree(
    base: str, script: bytes, files: List[Tuple[str, bytes, bool]], share: Tuple[int, int] = (0, 1), prefix: str = ""
) -> None:
    """The locustfile and its files under base/prefix; split CSVs cut to `share` (index, total)."""
    write_file(base, prefix + LOCUSTFILE, script)
    for path, data, split in files:
        write_file(base, prefix + path, split_csv(data, share[0], share[1]) if split else data)


def worker_dirs_needed(files: List[Tuple[str, bytes, bool]]) -> bool:
    return any(split for _, _, split in files)
