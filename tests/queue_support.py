"""Adding jobs to a store and waiting for them to end (executor, farm and Celery tests)."""

from waiting import wait_until

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.model import Job


def add(store, payload):
    """Add the job of ``payload`` to ``store``; return its id."""
    job = Job.from_payload(payload)
    assert store.add(job)
    return job.id


def in_state(store, job_id, *states):
    """The job if it is in one of ``states``, else None (a predicate for wait_until)."""
    job = store.get(job_id)
    return job if job.state in states else None


def finished(store, job_id):
    """The job once it finished (succeeded, failed or cancelled), else None."""
    return in_state(store, job_id, *model.FINISHED)


def wait_finished(store, job_id, timeout=30.0):
    """Wait for the job to finish; return it."""
    return wait_until(lambda: finished(store, job_id), timeout, f"job {job_id} to finish")
