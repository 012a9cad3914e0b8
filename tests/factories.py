"""Small builders of job payloads and jobs for tests (any helper's tests may import them)."""

import uuid

from pyblish_qml_queue.queue.model import SCHEMA, Job


def make_payload(
    n_steps=2,
    n_instances=1,
    title="Publish shot010",
    job_id=None,
    host=None,
    plugins=None,
    steps=None,
    **extra,
):
    """A valid hand-off payload (schema 1).

    Args:
        n_steps: Steps made when ``steps`` is not given: ``ExtractStep0``,
            ``ExtractStep1``, ... over the first instance.
        n_instances: Instances ``ben01``, ``ben02``, ...
        title: The job's title.
        job_id: Defaults to a fresh ``uuid4().hex``.
        host: The ``host`` dict; a plain Python host on machine ``ws01`` by default.
        plugins: ``{"paths": [...], "modules": [...]}``; empty by default.
        steps: Explicit step dicts (``plugin``, ``module``, ``order``, ``instance``,
            ``instance_id``) instead of the generated ones.
        **extra: Further top-level keys (``max_attempts``, ``env``, ``context``...).
    """
    instances = [
        {
            "id": f"inst-{n:02d}",
            "name": f"ben{n + 1:02d}",
            "families": ["pointcache"],
            "data": {"frameStart": 1001, "frameEnd": 1010},
        }
        for n in range(n_instances)
    ]
    if steps is None:
        first = instances[0] if instances else None
        steps = [
            {
                "plugin": f"ExtractStep{n}",
                "module": "extract_steps",
                "order": 2.0 + n * 0.01,
                "instance": first["name"] if first else None,
                "instance_id": first["id"] if first else None,
            }
            for n in range(n_steps)
        ]
    payload = {
        "schema": SCHEMA,
        "id": job_id or uuid.uuid4().hex,
        "title": title,
        "host": host
        or {
            "application": "python",
            "version": "3.11",
            "pid": 4242,
            "machine": "ws01",
            "user": "ben",
            "file": "/shows/demo/shot010.ma",
        },
        "targets": [],
        "plugins": plugins or {"paths": [], "modules": []},
        "env": {},
        "context": {"data": {}},
        "instances": instances,
        "steps": steps,
    }
    payload.update(extra)
    return payload


def make_job(n_steps=2, now=None, **kwargs):
    """A validated :class:`Job` from :func:`make_payload` (same arguments)."""
    return Job.from_payload(make_payload(n_steps=n_steps, **kwargs), now=now)
