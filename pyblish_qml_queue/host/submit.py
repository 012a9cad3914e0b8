"""Submit: collect and validate here, hand the rest of the publish off, return at once.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import json
import logging

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


def _by_reference(payload):
    """Write a job too big for one frame's comfort for a hand-off by reference
    (:mod:`pyblish_qml_queue.common.wire.handoff`), logging the progress; its id,
    or None for a job small enough to travel in the request."""
    if len(payload["steps"]) < handoff.INLINE_STEPS:  # not worth encoding twice
        return None
    try:
        data = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode("utf-8")
    except RecursionError:
        raise ValueError("job %s is nested too deeply to be handed off" % payload["id"])
    if len(data) <= handoff.INLINE_LIMIT:
        return None
    total = len(data) / 1e6
    log.info(
        "handing off job %s: %d steps, %.1f MB, written to the spool for the app",
        payload["id"],
        len(payload["steps"]),
        total,
    )

    def progress(written, size):
        log.info(
            "handing off job %s: %d%% of %.1f MB written",
            payload["id"],
            100 * written // size,
            total,
        )

    handoff.write(data, payload["id"], progress=progress)
    return payload["id"]


def hand_off(payload):
    """Give ``payload`` to the running app over the link, else drop it in the spool.

    The link (host.link.try_handoff, when present) returns False when no app
    runs; a link that breaks mid-way (OSError, EOFError) also falls back to the
    spool. Any other error means the app refused the job. A job whose JSON is
    over ``handoff.INLINE_LIMIT`` is written to the spool folder first and only
    its id travels (an app of an older release refuses that param: the file
    then goes into the spool, as when no app runs).

    Returns:
        str: "link" or the spooled file's path.

    Raises:
        HandOffRefused: the app refused the job; nothing was spooled.
    """
    try:
        from pyblish_qml_queue.host.link import try_handoff
    except ImportError as exc:
        log.debug("no host link (%s); spooling", exc)
        try_handoff = None
    reference = None
    if try_handoff is not None:
        try:
            reference = _by_reference(payload)
            taken = (
                try_handoff(payload)
                if reference is None
                else try_handoff(payload, spooled=reference)
            )
            if taken:
                return "link"
        except (OSError, EOFError):
            log.warning(
                "the link to the app broke while handing off job %s; spooling it instead",
                payload["id"],
                exc_info=True,
            )
        except Exception as exc:
            if reference is not None and getattr(exc, "code", None) == wire.INVALID_PARAMS:
                log.info("the app takes no hand-off by reference (an older release); spooling")
            else:
                if reference is not None:
                    handoff.discard(reference)
                log.debug("the app refused job %s", payload["id"], exc_info=True)
                raise HandOffRefused(
                    "the app refused job %s: %s. Check the app's console, then submit again."
                    % (payload["id"], str(exc).rstrip(". "))
                )
    if reference is not None:
        return handoff.to_spool(reference)
    return spool.write_job(payload)


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
        HandOffRefused: the scene snapshot could not be saved, or the running
            app refused the job; nothing was handed off.
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
        where = hand_off(payload)
    except BaseException:
        snapshots.discard(payload)
        raise
    log.info("handed off job %s (%d steps) to %s", payload["id"], len(payload["steps"]), where)
    return payload["id"]
