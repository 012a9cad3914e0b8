"""What the store contract tests share: owners, the lease, adding and claiming jobs."""

from factories import make_job

OWNER = "ws01:1234:aaaa"
OTHER = "ws01:5678:bbbb"
LEASE = 30.0


def add_jobs(store, n, **kwargs):
    jobs = [make_job(**kwargs) for _ in range(n)]
    for job in jobs:
        assert store.add(job)
    return [job.id for job in jobs]


def claimed(store, n_steps=2, **kwargs):
    """Add one job and claim it as OWNER; returns the claimed job."""
    add_jobs(store, 1, n_steps=n_steps, **kwargs)
    job = store.claim(OWNER, LEASE)
    assert job is not None
    return job


def everything(store, job_id):
    """All a store holds about a job, to show that nothing changed."""
    return store.get(job_id).to_dict(), store.log(job_id)
