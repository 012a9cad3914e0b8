"""One bad spool file never holds up the jobs behind it: anything the ingester cannot take
goes to spool/rejected/ with its reason, `jobs` and `doctor` say so, and submit() never
writes a file the ingester would refuse."""

import json
import os
import time

import pytest
from cli_support import run_cli
from factories import make_payload

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.common.jsonsafe import NotJsonSafe, check_json_safe
from pyblish_qml_queue.common.spool import write_job
from pyblish_qml_queue.queue.spool import SpoolIngester, rejected
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

BAD = b"/p/\xff.abc".decode("utf-8", "surrogateescape")


def _deep(levels):
    return "[" * levels + "]" * levels


def _bad_files():
    """``{name: file text}``: each breaks the ingester a different way."""
    created = make_payload(job_id="created")
    created["created"] = "yesterday"
    listed = make_payload(job_id="listed")
    listed["steps"][0]["instance_id"] = ["inst-00"]
    deep = json.dumps(make_payload(job_id="deep"))[:-1] + ', "extra": ' + _deep(50_000) + "}"
    return {
        "deep.json": deep,
        "created.json": json.dumps(created),
        "listed.json": json.dumps(listed),
        "broken.json": "{not json",
    }


@pytest.fixture
def spool_store(home):
    store = SQLiteJobStore(paths.store_path())
    yield store
    store.close()


def test_bad_spool_files_are_rejected_and_the_jobs_behind_them_ingested(home, spool_store):
    folder = paths.spool_dir()
    os.makedirs(folder)
    for n, (name, text) in enumerate(_bad_files().items()):
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
        os.utime(os.path.join(folder, name), (time.time() - 100 + n, time.time() - 100 + n))
    good = make_payload(job_id="good", title=f"caches of {BAD}")  # a lone surrogate: fine
    write_job(good, folder)
    ingester = SpoolIngester(spool_store, folder)
    assert ingester.ingest_once() == ["good"]
    assert spool_store.get("good").title == "caches of /p/\\udcff.abc"
    reasons = dict(rejected(folder))
    assert sorted(reasons) == ["broken.json", "created.json", "deep.json", "listed.json"]
    assert "nested too deeply" in reasons["deep.json"]
    assert "created must be a number" in reasons["created.json"]
    assert "instance_id must be a string" in reasons["listed.json"]
    assert ingester.ingest_once() == []  # nothing left to stumble over
    assert not [n for n in os.listdir(folder) if n.endswith(".json")]


def test_jobs_and_doctor_name_the_rejected_files_instead_of_crashing(home):
    folder = paths.spool_dir()
    os.makedirs(folder)
    for name, text in _bad_files().items():
        with open(os.path.join(folder, name), "w") as f:
            f.write(text)
    listed = run_cli("jobs", home=home)  # reads the spool as it is: no crash
    assert listed.returncode == 0, listed.stderr
    store = SQLiteJobStore(paths.store_path())
    try:
        SpoolIngester(store, folder).ingest_once()
    finally:
        store.close()
    listed = run_cli("jobs", "--json", home=home)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    assert "4 spooled job file(s) were rejected" in listed.stderr
    doctor = run_cli("doctor", home=home)
    assert "4 spooled job(s) were rejected" in doctor.stdout


def test_the_host_refuses_data_nested_too_deeply_before_anything_is_written():
    value = []
    for _ in range(500):
        value = [value]
    with pytest.raises(NotJsonSafe, match="nested more than 100 levels"):
        check_json_safe({"cache": value}, "instance 'ben01' data")
