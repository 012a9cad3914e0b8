"""A hand-off by reference left behind by a host that died (kill -9, a DCC crash) after it
wrote ``<spool>/<id>.handoff`` and before the app or the host itself renamed it: once it is
older than the grace (``queue.spool.HANDOFF_GRACE``), the spool ingester takes it as any
spooled job, exactly once by id; a younger one is the live host's and the app's."""

import json
import logging
import os
import subprocess
import sys
import time

import pytest
from conftest import ROOT
from factories import make_payload
from host_fixtures import PLUGINS, steps
from serve_support import finished_job

from pyblish_qml_queue.common import paths
from pyblish_qml_queue.common.wire import handoff
from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.model import Job
from pyblish_qml_queue.queue.spool import HANDOFF_GRACE, SpoolIngester, rejected
from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore
from pyblish_qml_queue.queue.store import StoreError


@pytest.fixture
def spool_store(home):
    store = SQLiteJobStore(paths.store_path())
    yield store
    store.close()


@pytest.fixture
def folder(home):
    return paths.spool_dir()


def _write_handoff(payload, folder, age):
    """Write ``payload`` as the host does for a hand-off by reference, ``age`` seconds old."""
    path = handoff.write(handoff.encode(payload), payload["id"], folder)
    _age(path, age)
    return path


def _age(path, seconds):
    then = time.time() - seconds
    os.utime(path, (then, then))


def _stored(store, job_id):
    try:
        return store.get(job_id)
    except StoreError:
        return None


def test_a_handoff_older_than_the_grace_is_ingested_with_a_line_naming_it(
    folder, spool_store, caplog
):
    caplog.set_level(logging.INFO, logger="pyblish_qml_queue.queue.spool")
    payload = make_payload(job_id="orphan", title="caches of sh010", n_steps=3)
    path = _write_handoff(payload, folder, HANDOFF_GRACE + 5)
    ingester = SpoolIngester(spool_store, folder)
    assert ingester.ingest_once() == ["orphan"]
    job = spool_store.get("orphan")
    assert job.title == "caches of sh010" and len(job.steps) == 3
    assert os.listdir(folder) == []
    (line,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert path in line and "its host never finished handing it off" in line
    assert ingester.ingest_once() == []


def test_a_young_handoff_and_temporary_files_are_left_alone(folder, spool_store):
    young = _write_handoff(make_payload(job_id="young"), folder, HANDOFF_GRACE - 30)
    tmp_name = ".old.handoff.x1y2z3.tmp"  # a host killed mid-write
    temporary = os.path.join(folder, tmp_name)
    with open(temporary, "w") as f:
        f.write(json.dumps(make_payload(job_id="old")))
    _age(temporary, 10 * HANDOFF_GRACE)
    ingester = SpoolIngester(spool_store, folder)
    assert ingester.ingest_once() == []
    assert sorted(os.listdir(folder)) == sorted([os.path.basename(young), tmp_name])
    assert _stored(spool_store, "young") is None and _stored(spool_store, "old") is None
    # The grace is the ingester's: a shorter one takes the same file.
    assert SpoolIngester(spool_store, folder, handoff_grace=10).ingest_once() == ["young"]
    assert os.listdir(folder) == [tmp_name]


def test_a_handoff_whose_job_is_stored_already_is_not_stored_twice(folder, spool_store, caplog):
    """The app stored the job, then the host died before it removed the file (or an
    ingester died between storing and removing): the file goes, the job stays as it was."""
    payload = make_payload(job_id="twice", n_steps=2)
    assert spool_store.add(Job.from_payload(payload))
    assert spool_store.claim("someone", 60).id == "twice"  # the queue got on with it meanwhile
    _write_handoff(payload, folder, HANDOFF_GRACE + 1)
    other = make_payload(job_id="reused", title="one job")
    assert spool_store.add(Job.from_payload(other))
    _write_handoff(make_payload(job_id="reused", title="another job"), folder, HANDOFF_GRACE + 2)
    assert SpoolIngester(spool_store, folder).ingest_once() == []
    assert os.listdir(folder) == []
    assert sorted(job.id for job in spool_store.jobs()) == ["reused", "twice"]
    assert spool_store.get("twice").state == model.RUNNING
    assert spool_store.get("reused").title == "one job"
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any("reuses the id of stored job 'one job'" in m for m in warnings)


def test_a_handoff_that_cannot_be_renamed_is_said_once_and_taken_once_it_can(
    folder, spool_store, caplog, monkeypatch
):
    path = _write_handoff(make_payload(job_id="locked"), folder, HANDOFF_GRACE + 1)
    replace = os.replace

    def locked(source, target):  # as Windows does while another process holds the file
        if source == path:
            raise PermissionError(13, "the file is in use", source)
        return replace(source, target)

    monkeypatch.setattr(os, "replace", locked)
    ingester = SpoolIngester(spool_store, folder)
    assert ingester.ingest_once() == [] and ingester.ingest_once() == []
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and path in errors[0] and "the file is in use" in errors[0]
    monkeypatch.setattr(os, "replace", replace)
    assert ingester.ingest_once() == ["locked"]


def test_a_broken_handoff_goes_to_rejected_and_the_job_behind_it_is_ingested(folder, spool_store):
    broken = handoff.write(b'{"id": "broken", "steps": [', "broken", folder)
    _age(broken, HANDOFF_GRACE + 20)
    wrong = make_payload(job_id="wrong")
    wrong["created"] = "yesterday"
    _write_handoff(wrong, folder, HANDOFF_GRACE + 10)
    _write_handoff(make_payload(job_id="good"), folder, HANDOFF_GRACE + 5)
    assert SpoolIngester(spool_store, folder).ingest_once() == ["good"]
    reasons = dict(rejected(folder))
    assert sorted(reasons) == ["broken.json", "wrong.json"]
    assert "cannot read spooled job" in reasons["broken.json"]
    assert "created must be a number" in reasons["wrong.json"]
    assert sorted(os.listdir(folder)) == ["rejected"]


# -- a real host killed right after it wrote the file, and a real serve -----------------

HOST = """
import os
import sys

import pyblish.api

pyblish.api.deregister_all_paths()
pyblish.api.register_plugin_path(sys.argv[1])

import pyblish_qml_queue
from pyblish_qml_queue.common.wire import handoff

write = handoff.write


def write_then_die(*args, **kwargs):
    write(*args, **kwargs)
    os._exit(9)  # as kill -9 or a DCC crash: before the app or this host renamed the file


handoff.write = write_then_die
sys.stdout.write("submitted %s\\n" % pyblish_qml_queue.submit(title="orphaned"))
sys.stdout.flush()
"""


def _run_host_that_dies_after_writing(tmp_path, home):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "thing_plugins.py").write_text(PLUGINS)
    script = tmp_path / "host.py"
    script.write_text(HOST)
    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home), N_INSTANCES="3")
    env[handoff.INLINE_LIMIT_ENV] = "0"  # every job by reference
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, str(script), str(plugins)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_serve_stores_the_job_of_a_host_killed_after_it_wrote_the_file(tmp_path, home, serve):
    host = _run_host_that_dies_after_writing(tmp_path, home)
    assert host.returncode == 9, host.stderr
    job_id = host.stdout.split()[-1]
    orphan = handoff.path(job_id, paths.spool_dir())
    assert os.listdir(paths.spool_dir()) == [os.path.basename(orphan)]

    env = dict(os.environ, PYBLISH_QML_QUEUE_HOME=str(home))
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    process = serve(env)  # it looked into the spool once before it said "serving"
    assert os.path.exists(orphan)  # young: the host's and the app's still
    store = SQLiteJobStore(str(home / "jobs.db"))
    try:
        assert _stored(store, job_id) is None
    finally:
        store.close()

    _age(orphan, HANDOFF_GRACE + 1)  # the grace passes
    job = finished_job(home, job_id)
    assert job.state == model.SUCCEEDED and job.title == "orphaned"
    assert [(s.plugin, s.instance) for s in job.steps] == steps(3)
    assert os.listdir(paths.spool_dir()) == []
    assert rejected(paths.spool_dir()) == []
    assert process.poll() is None
    log = (tmp_path / "serve0.log").read_text()
    assert orphan in log and "its host never finished handing it off" in log
