"""Submit: collect and validate here, hand the rest of the publish off, return at once.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import logging
import threading

import pyblish.api
import pyblish.plugin

from pyblish_qml_queue import dcc
from pyblish_qml_queue.common import snapshots, spool, stages, wire
from pyblish_qml_queue.common.wire import handoff
from pyblish_qml_queue.host import job, plan, snapshot

log = logging.getLogger(__name__)


class ValidationFailed(Exception):
    """Collection or validation failed; nothing was handed off.

    Attributes:
        failures: list of (plugin label, instance name or None, error message).
    """

    def __init__(self, failures):
        self.failures = list(failures)
        lines = [
            "  %s on %s: %s" % (plugin, instance or "context", error)
            for plugin, instance, error in self.failures
        ]
        super(ValidationFailed, self).__init__(
            "%d check(s) failed, nothing was handed off; fix these and submit again:\n%s"
            % (len(lines), "\n".join(lines))
        )


class HandOffRefused(Exception):
    """The running app refused the job (the message carries its reason); nothing was spooled."""


def _ran(context, first, last):
    """Whether a plugin with ``first <= order < last`` was processed on ``context``."""
    for result in context.data.get("results") or []:
        plugin = result.get("plugin")
        order = getattr(plugin, "order", None)
        if order is None:
            continue
        if (first is None or order >= first) and order < last:
            return True
    return False


def is_collected(context):
    """A context counts as collected when it holds instances or its results hold a
    plugin of collection order (pyblish.util.collect and our submit leave both)."""
    return len(context) > 0 or _ran(context, None, stages.COLLECT_END)


def _process(context, plugins, targets, first, last):
    failures = []
    for plugin, instance in plan.iter_pairs(plugins, context, targets, first, last):
        result = pyblish.plugin.process(plugin, context, instance)
        if result["error"] is not None:
            label = plugin.label or plugin.__name__
            failures.append(
                (label, None if instance is None else instance.name, str(result["error"]))
            )
    return failures


def collect_and_validate(context, plugins, targets):
    """Run collection (unless done) and validation (unless done) on ``context``.

    Returns:
        list of failures as in :class:`ValidationFailed`, from the stages run here.
    """
    failures = []
    if is_collected(context):
        log.info("context is collected already; not collecting again")
    else:
        failures += _process(context, plugins, targets, None, stages.COLLECT_END)
    if _ran(context, stages.COLLECT_END, stages.EXTRACTION_STARTS):
        log.info("context is validated already; checking its results")
        failures += _recorded_failures(context, stages.COLLECT_END, stages.EXTRACTION_STARTS)
    else:
        failures += _process(
            context, plugins, targets, stages.COLLECT_END, stages.EXTRACTION_STARTS
        )
    return failures


def _recorded_failures(context, first, last):
    failures = []
    for result in context.data.get("results") or []:
        plugin = result.get("plugin")
        order = getattr(plugin, "order", None)
        if order is None or not (first <= order < last) or result.get("error") is None:
            continue
        instance = result.get("instance")
        failures.append(
            (
                plugin.label or plugin.__name__,
                None if instance is None else instance.name,
                str(result["error"]),
            )
        )
    return failures


def frozen(payload):
    """The job's JSON bytes when it may be too big for one frame, else None.

    The bytes are a copy of the job that no later edit of the scene reaches: the
    host may go on once it has them. A job of fewer than ``handoff.INLINE_STEPS``
    steps is not measured (see :func:`pyblish_qml_queue.common.wire.handoff.by_reference`).

    Raises:
        ValueError: the job cannot be encoded (nested too deeply).
    """
    if not handoff.by_reference(len(payload["steps"])):
        return None
    data = handoff.encode(payload)
    return data if handoff.by_reference(len(payload["steps"]), len(data)) else None


def write_reference(job_id, steps, data):
    """Write a job's JSON bytes for a hand-off by reference, logging the progress."""
    total = len(data) / 1e6
    log.info(
        "handing off job %s: %d steps, %.1f MB, written to the spool for the app",
        job_id,
        steps,
        total,
    )

    def progress(written, size):
        log.info(
            "handing off job %s: %d%% of %.1f MB written", job_id, 100 * written // size, total
        )

    handoff.write(data, job_id, progress=progress)
    return job_id


def _by_reference(payload):
    """Write a job too big for one frame's comfort for a hand-off by reference
    (:mod:`pyblish_qml_queue.common.wire.handoff`), logging the progress; its id,
    or None for a job small enough to travel in the request."""
    data = frozen(payload)
    if data is None:
        return None
    return write_reference(payload["id"], len(payload["steps"]), data)


def _offer(try_handoff, job_id):
    """Tell the app the job ``job_id`` is written for it (a hand-off by reference).

    Returns:
        str: "link", or the spooled file's path (no app runs, an app of an older
        release, a broken link: the file becomes an ordinary spooled job).

    Raises:
        HandOffRefused: the app refused the job; its file is removed.
    """
    try:
        if try_handoff({"id": job_id}, spooled=job_id):
            return "link"
    except (OSError, EOFError):
        log.warning(
            "the link to the app broke while handing off job %s; spooling it instead",
            job_id,
            exc_info=True,
        )
    except Exception as exc:
        if getattr(exc, "code", None) == wire.INVALID_PARAMS:
            log.info("the app takes no hand-off by reference (an older release); spooling")
        else:
            handoff.discard(job_id)
            log.debug("the app refused job %s", job_id, exc_info=True)
            raise HandOffRefused(
                "the app refused job %s: %s. Check the app's console, then submit again."
                % (job_id, str(exc).rstrip(". "))
            )
    return handoff.to_spool(job_id)


def _link_handoff():
    """host.link.try_handoff, or None where the link cannot be imported."""
    try:
        from pyblish_qml_queue.host.link import try_handoff
    except ImportError as exc:
        log.debug("no host link (%s); spooling", exc)
        return None
    return try_handoff


def _hand_off_later(payload):
    """:func:`_hand_off` on a thread of its own, once the host has gone on; what
    became of the job is logged. Not a daemon thread: an interpreter that exits
    waits for it, so a job is never left half written. The thread imports the
    link too (the first import costs milliseconds)."""
    job_id = payload["id"]

    def run():
        try:
            try_handoff = _link_handoff()
            if try_handoff is None:
                where = spool.write_job(payload)
            else:
                where = _hand_off(try_handoff, payload)
        except HandOffRefused as exc:
            snapshots.discard(payload)
            log.error("%s Nothing was queued.", exc)
        except Exception:
            log.exception("handing off job %s failed; putting it into the spool", job_id)
            try:
                log.info("job %s is in the spool (%s)", job_id, spool.write_job(payload))
            except Exception as exc:
                snapshots.discard(payload)
                log.error("job %s could not be spooled either (%s): nothing queued", job_id, exc)
        else:
            if where == "link":
                log.info("the app took job %s", job_id)
            else:
                log.info(
                    "job %s is in the spool (%s); the app ingests it when it runs", job_id, where
                )

    log.info(
        "handing off job %s (%d steps) on a thread, which logs what the app answers",
        job_id,
        len(payload["steps"]),
    )
    thread = threading.Thread(target=run, name="pyblish-qml-queue-handoff-%s" % job_id[:8])
    thread.start()
    return thread


def _hand_off(try_handoff, payload):
    try:
        reference = _by_reference(payload)
    except OSError as exc:
        raise HandOffRefused(
            "could not write job %s into the spool folder for the app: %s; nothing was "
            "handed off. Free some disk space, then submit again." % (payload["id"], exc)
        )
    if reference is not None:
        return _offer(try_handoff, reference)
    try:
        if try_handoff(payload):
            return "link"
    except (OSError, EOFError):
        log.warning(
            "the link to the app broke while handing off job %s; spooling it instead",
            payload["id"],
            exc_info=True,
        )
    except Exception as exc:
        log.debug("the app refused job %s", payload["id"], exc_info=True)
        raise HandOffRefused(
            "the app refused job %s: %s. Check the app's console, then submit again."
            % (payload["id"], str(exc).rstrip(". "))
        )
    return spool.write_job(payload)


def hand_off(payload, background=False):
    """Give ``payload`` to the running app over the link, else drop it in the spool.

    The link (host.link.try_handoff, when present) returns False when no app
    runs; a link that breaks mid-way (OSError, EOFError) also falls back to the
    spool. Any other error means the app refused the job. A job whose JSON is
    over ``handoff.inline_limit()`` is written to the spool folder first and only
    its id travels (an app of an older release refuses that param: the file
    then goes into the spool, as when no app runs).

    Args:
        background: for a job big enough to be measured (``handoff.by_reference``),
            return at once and do all of that on a thread (the payload of
            :func:`~pyblish_qml_queue.host.job.build_job` shares nothing with
            the scene, so later edits do not reach it); what became of the job
            is logged, a refusal included.

    Returns:
        str: "link", "background" or the spooled file's path.

    Raises:
        HandOffRefused: the app refused the job, or it could not be written for
            the app; nothing was spooled.
    """
    if background and handoff.by_reference(len(payload["steps"])):
        _hand_off_later(payload)
        return "background"
    try_handoff = _link_handoff()
    if try_handoff is None:
        return spool.write_job(payload)
    return _hand_off(try_handoff, payload)


def submit(context=None, plugins=None, targets=None, title=None):
    """Collect and validate in this process, hand off extraction on, return at once.

    The host adapter saves a snapshot of the scene as validated before the job
    is handed off (:mod:`pyblish_qml_queue.host.snapshot`); the worker opens it.

    Args:
        context: a pyblish Context; None makes a new one. A context that is
            collected already (see :func:`is_collected`) is not collected
            again; one that was validated already has its recorded validation
            results checked instead of validating again.
        plugins: the plugin classes to run, as for ``pyblish.util.publish``
            (default: ``pyblish.api.discover()``); leave one out to switch it off.
        targets: pyblish targets (default: "default" plus the registered ones).
        title: the job's title for people.

    Returns:
        str: the job id.

    Raises:
        ValidationFailed: a collector or validator failed; nothing was handed off.
        HandOffRefused: the scene snapshot could not be saved, the job could not
            be written, or the running app refused the job; nothing was handed
            off. A big job (1,000 steps or more, see
            :func:`pyblish_qml_queue.common.wire.handoff.by_reference`) is
            encoded, written and given to the app on a thread once this returns
            (the payload is a copy that later scene edits do not reach); its
            refusal (rare: the app checks what this host built) is logged as an
            error instead.
        host.job.NotJsonSafe: instance or context data, or an instance's
            members, cannot travel as JSON.
    """
    if context is None:
        context = pyblish.api.Context()
    if plugins is None:
        plugins = pyblish.api.discover()
    failures = collect_and_validate(context, plugins, targets)
    if failures:
        raise ValidationFailed(failures)
    adapter = dcc.current()
    payload = job.build_job(context, plugins=plugins, targets=targets, title=title, adapter=adapter)
    if not payload["steps"]:
        log.warning("job %s has no extractor or integrator to run", payload["id"])
    try:
        snapshot.attach(payload, adapter)
    except snapshot.SnapshotRefused as exc:
        raise HandOffRefused(str(exc))
    try:
        where = hand_off(payload, background=True)
    except BaseException:
        snapshots.discard(payload)
        raise
    if where != "background":  # else the thread says where it went
        log.info("handed off job %s (%d steps) to %s", payload["id"], len(payload["steps"]), where)
    return payload["id"]
