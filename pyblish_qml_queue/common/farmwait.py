"""Hand a step to a render farm and let the job wait for the farm's signal.

A plugin that submits work to a farm (Deadline, Tractor, ...) calls
:func:`expect_signal` from ``process()``, while the queue's worker runs it::

    import pyblish_qml_queue

    class SubmitRenderToDeadline(pyblish.api.InstancePlugin):
        order = pyblish.api.ExtractorOrder + 0.4
        families = ["render"]

        def process(self, instance):
            signal = pyblish_qml_queue.expect_signal(instance, timeout=12 * 3600)
            extra_info = dict(signal)   # our job id, secret, plugin and instance
            farm_job = submit_to_deadline(instance, extra_info)
            signal.farm_job = farm_job   # optional: shown in the queue

When ``process()`` returns, the step is *waiting*: steps that do not depend on it
run on; those that do (later steps on the same instance, later context steps)
wait, and once nothing else can run the job parks as ``waiting`` and its worker
exits. The farm's signal (``pyblish-qml-queue signal``, ``POST /v1/signal`` or
the Deadline event plugin in assets/deadline/) resumes the job or fails it.

Runs inside DCCs: standard library only, Python 3.7 syntax.
"""

import os

#: Environment variables the executor gives each worker, and the keys a farm job
#: carries (Deadline extra info or environment) so its signal can be sent.
JOB_ID_VAR = "PYBLISH_QML_QUEUE_JOB_ID"
SECRET_VAR = "PYBLISH_QML_QUEUE_JOB_SECRET"
PLUGIN_VAR = "PYBLISH_QML_QUEUE_PLUGIN"
INSTANCE_VAR = "PYBLISH_QML_QUEUE_INSTANCE"

_sink = [None]


class NotInWorker(RuntimeError):
    """expect_signal() was called outside a step run by a queue worker."""


class FarmSignal(dict):
    """What a farm job needs to signal its step, as environment-style keys.

    A dict of :data:`JOB_ID_VAR`, :data:`SECRET_VAR`, :data:`PLUGIN_VAR` and
    :data:`INSTANCE_VAR` to their values: pass it whole to the farm job (Deadline
    ``ExtraInfoKeyValue`` or its environment). Set :attr:`farm_job` to the farm's
    id of the job once known; the queue shows it.
    """

    def __init__(self, values, on_farm_job=None):
        dict.__init__(self, values)
        self._on_farm_job = on_farm_job
        self._farm_job = None

    @property
    def farm_job(self):
        return self._farm_job

    @farm_job.setter
    def farm_job(self, value):
        self._farm_job = None if value is None else str(value)
        if self._on_farm_job is not None:
            self._on_farm_job(self._farm_job)


def expect_signal(instance, farm_job=None, timeout=None):
    """Mark the running step as handed to a farm: the job waits for its signal.

    Args:
        instance: the instance the step processes (for a ContextPlugin: the
            context, or None).
        farm_job: the farm's id of the job, if known now (shown in the queue;
            also settable later through the returned object's ``farm_job``).
        timeout: seconds to wait for the signal before the job fails; None
            waits as long as it takes.

    Returns:
        FarmSignal: the job id, secret, plugin and instance the farm job must
        carry to send the signal.

    Raises:
        NotInWorker: not inside a step run by a pyblish-qml-queue worker.
        ValueError: ``instance`` is not the step's, or ``timeout`` is not a
            positive number.
    """
    sink = _sink[0]
    if sink is None:
        raise NotInWorker(
            "expect_signal() works only inside a step run by the pyblish-qml-queue "
            "worker (a job handed off with 'Publish in background' or submit()); "
            "here no job could wait for the farm"
        )
    if timeout is not None:
        try:
            ok = float(timeout) > 0 and not isinstance(timeout, bool)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise ValueError("timeout must be a positive number of seconds or None")
        timeout = float(timeout)
    return sink(instance, None if farm_job is None else str(farm_job), timeout)


def bind(sink):
    """Route :func:`expect_signal` to ``sink(instance, farm_job, timeout)``; None
    unbinds. For the worker, around each step."""
    _sink[0] = sink


def signal_values(plugin, instance_name):
    """The :class:`FarmSignal` values for a step of the job this worker runs."""
    return {
        JOB_ID_VAR: os.environ.get(JOB_ID_VAR, ""),
        SECRET_VAR: os.environ.get(SECRET_VAR, ""),
        PLUGIN_VAR: plugin,
        INSTANCE_VAR: instance_name or "",
    }
