"""The supervisor's writing of a run's project: files, split CSVs, and never through a link."""

from __future__ import annotations

import base64
import os

import pytest

from loadmgr_locust import project
from loadmgr_locust.supervisor import build_commands


def test_split_shares_are_disjoint_and_complete_with_the_header_each():
    rows = [f"user{i},pw{i}\n".encode() for i in range(10)]
    data = b"name,password\n" + b"".join(rows)
    shares = [project.split_csv(data, i, 3) for i in range(3)]
    got = []
    for share in shares:
        lines = share.splitlines(keepends=True)
        assert lines[0] == b"name,password\n"
        got += lines[1:]
    assert got == rows
    assert [len(s.splitlines()) - 1 for s in shares] == [3, 3, 4]


def test_split_keeps_a_quoted_newline_in_its_row_and_ends_the_last_row():
    data = b'id,note\r\n1,"two\nlines"\r\n2,plain\r\n3,"a ""quote"""'
    first, second = project.split_csv(data, 0, 2), project.split_csv(data, 1, 2)
    assert first == b'id,note\r\n1,"two\nlines"\r\n'
    assert second == b'id,note\r\n2,plain\r\n3,"a ""quote"""\n'


def test_more_workers_than_rows_leaves_some_with_the_header_only():
    data = b"h\nx\n"
    assert [project.split_csv(data, i, 3) for i in range(3)] == [b"h\n", b"h\n", b"h\nx\n"]


def test_a_single_share_is_the_whole_file():
    assert project.split_csv(b"h\n1\n2\n", 0, 1) == b"h\n1\n2\n"


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../b", "a//b", "./a", "a\\b", ""])
def test_paths_that_leave_the_tree_are_refused(tmp_path, path):
    with pytest.raises(ValueError):
        project.write_file(str(tmp_path), path, b"x")


def test_a_link_left_in_the_work_directory_is_replaced_not_followed(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim.txt").write_bytes(b"keep")
    work = tmp_path / "work"
    work.mkdir()
    (work / "data").symlink_to(outside)
    (work / "file.txt").symlink_to(outside / "victim.txt")
    project.write_file(str(work), "file.txt", b"new")
    assert (outside / "victim.txt").read_bytes() == b"keep"
    assert not (work / "file.txt").is_symlink() and (work / "file.txt").read_bytes() == b"new"
    with pytest.raises(OSError):
        project.write_file(str(work), "data/users.csv", b"x")
    assert not (outside / "users.csv").exists()


def test_write_tree_puts_each_worker_in_its_own_copy_with_its_share(tmp_path):
    script = b"print(1)\n"
    files = [("lib/h.py", b"X=1\n", False), ("data/u.csv", b"n\na\nb\n", True)]
    project.write_tree(str(tmp_path), script, files)
    for i in range(2):
        project.write_tree(str(tmp_path), script, files, (i, 2), prefix=f".workers/{i}/")
    assert (tmp_path / "data/u.csv").read_bytes() == b"n\na\nb\n"
    assert (tmp_path / ".workers/0/data/u.csv").read_bytes() == b"n\na\n"
    assert (tmp_path / ".workers/1/data/u.csv").read_bytes() == b"n\nb\n"
    assert (tmp_path / ".workers/1/lib/h.py").read_bytes() == b"X=1\n"
    assert (tmp_path / ".workers/1/locustfile.py").read_bytes() == script


def test_workers_with_their_own_copies_run_there_and_the_master_gets_the_stages():
    spec = {
        "runId": "r",
        "users": 9,
        "spawnRate": 2,
        "durationSeconds": 30,
        "targetUrl": "http://127.0.0.1:1",
        "ingestUrl": "http://127.0.0.1:2",
        "workers": 2,
        "workerDirs": True,
        "stages": [{"durationSec": 30, "users": 9, "spawnRate": 2}],
    }
    commands = build_commands(spec, "/loadtest")
    assert commands["workerDirs"] == ["/loadtest/.workers/0", "/loadtest/.workers/1"]
    assert "/loadtest/.workers/1/locustfile.py" in commands["workers"][1]
    master = commands["master"]
    assert master[master.index("--loadmgr-stages") + 1] == '[{"durationSec": 30, "users": 9, "spawnRate": 2}]'
    assert master[master.index("-f") + 1] == "/loadtest/locustfile.py"


def test_decoded_refuses_a_spec_path_outside_the_tree():
    spec = {"scriptContent": base64.b64encode(b"x").decode(), "files": [{"path": "../../etc/x", "contentBase64": ""}]}
    with pytest.raises(ValueError):
        project.decoded(spec)
