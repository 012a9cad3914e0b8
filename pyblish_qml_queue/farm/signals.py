"""Farm signals: signed messages that resume or fail a job waiting for a render farm.

A signal says how the farm job of one waiting step ended::

    {"job": "<job id>", "plugin": "SubmitRender", "instance": "beauty",
     "status": "success" | "failure", "message": "<text>",
     "time": <int seconds since the epoch>, "nonce": "<8-128 of [A-Za-z0-9_-]>",
     "signature": "<hex HMAC-SHA256>"}

The signature is HMAC-SHA256, keyed with the job's secret (made by the store when
the job is added and given to the job's worker as ``PYBLISH_QML_QUEUE_JOB_SECRET``),
over :func:`canonical`: the other seven fields as compact JSON with sorted keys,
ASCII only (``json.dumps(fields, sort_keys=True, separators=(",", ":"))``).

A :class:`SignalReceiver` checks, in this order, and refuses with a reason (logged,
nothing changed): body too large (``too_large``), not JSON or nested too deeply
(``bad_json``), wrong fields (``bad_shape``), job unknown or signature wrong (one
answer for both, ``bad_signature``, so that a refusal never tells whether a job id
exists; the log says which), time outside the window (``stale``, default 300 s either way),
nonce used before (``replay``), no such step (``unknown_step``), step not waiting
(``not_waiting``). The same outcome signalled again with a fresh nonce changes
nothing and is answered ``already applied`` (not an error).

No Qt. The HTTP endpoint is :mod:`pyblish_qml_queue.farm.http`, the CLI verb
:mod:`pyblish_qml_queue.cli.signal`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from typing import Callable, Optional

from pyblish_qml_queue.queue import model
from pyblish_qml_queue.queue.store import APPLIED, JobNotFound, NonceSeen, NotWaiting, StepNotFound

log = logging.getLogger(__name__)

#: The signed fields, in the order people read them.
FIELDS = ("job", "plugin", "instance", "status", "message", "time", "nonce")
#: Largest body accepted, in bytes.
MAX_BODY = 64 * 1024
#: Seconds a signal's time may be away from the receiver's clock, either way.
WINDOW = 300.0
#: Longest message kept, in characters.
MAX_MESSAGE = 8 * 1024

#: Why a signal was refused -> the HTTP status the endpoint answers with.
REASONS = {
    "too_large": 413,
    "bad_json": 400,
    "bad_shape": 400,
    "bad_signature": 403,
    "stale": 403,
    "replay": 409,
    "unknown_step": 404,
    "not_waiting": 409,
}

_NONCE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")


class SignalRefused(Exception):
    """A signal was refused; nothing changed.

    Attributes:
        reason: one of :data:`REASONS`.
        http_status: the status the endpoint answers with.
        detail: for the log only, never for the sender (e.g. "unknown job").
    """

    def __init__(self, reason: str, message: str, detail: str = ""):
        super().__init__(message)
        self.reason = reason
        self.http_status = REASONS[reason]
        self.detail = detail


#: Signs the comparison for an unknown job, so that it takes as long as a known one's.
_NO_SECRET = secrets.token_hex(32)


def _not_signed_by_job(detail: str) -> SignalRefused:
    """The one refusal for an unknown job and a wrong signature."""
    return SignalRefused(
        "bad_signature",
        "the signature does not match: no job with this id, or not signed with its secret "
        "(sign with the secret the job's worker was given)",
        detail,
    )


# canonical() and make_signal() have copies in assets/deadline/PyblishQmlQueue, on
# purpose: that plug-in runs in Deadline's own Python, standard library only, and
# cannot import this package. Change the signature format in both places.


def canonical(body: dict) -> bytes:
    """The bytes a signal's signature covers: its seven fields as compact sorted JSON."""
    fields = {name: body.get(name) for name in FIELDS}
    if fields["message"] is None:
        fields["message"] = ""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def sign(body: dict, secret: str) -> str:
    """The hex HMAC-SHA256 of :func:`canonical` ``(body)`` keyed with ``secret``."""
    return hmac.new(secret.encode("utf-8"), canonical(body), hashlib.sha256).hexdigest()


def make_signal(
    job: str,
    plugin: str,
    instance: str,
    status: str,
    secret: str,
    message: str = "",
    now: Optional[float] = None,
    nonce: Optional[str] = None,
) -> dict:
    """A signed signal, ready to send as JSON."""
    body = {
        "job": job,
        "plugin": plugin,
        "instance": instance or "",
        "status": status,
        "message": message or "",
        "time": int(time.time() if now is None else now),
        "nonce": nonce or secrets.token_hex(16),
    }
    body["signature"] = sign(body, secret)
    return body


def parse(raw: bytes) -> dict:
    """The signal in a request body, its size, JSON and fields checked.

    Raises:
        SignalRefused: too_large, bad_json or bad_shape.
    """
    if len(raw) > MAX_BODY:
        raise SignalRefused(
            "too_large", f"the signal is {len(raw)} bytes; at most {MAX_BODY} are accepted"
        )
    try:
        body = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise SignalRefused("bad_json", f"the signal is not JSON: {exc}")
    except RecursionError:
        raise SignalRefused("bad_json", "the signal is not JSON: nested too deeply")
    check_shape(body)
    return body


def check_shape(body) -> None:
    """Raise SignalRefused("bad_shape") naming the first field that is wrong."""
    if not isinstance(body, dict):
        raise SignalRefused("bad_shape", "the signal must be a JSON object")
    unknown = sorted(set(body) - set(FIELDS) - {"signature"})
    if unknown:
        raise SignalRefused("bad_shape", f"unknown field(s) {', '.join(unknown)}")
    for name in ("job", "plugin", "instance", "status", "nonce", "signature"):
        if not isinstance(body.get(name), str):
            raise SignalRefused("bad_shape", f"{name} must be a string")
    if not body["job"] or len(body["job"]) > 64:
        raise SignalRefused("bad_shape", "job must be a job id (1-64 characters)")
    if not body["plugin"] or len(body["plugin"]) > 256 or len(body["instance"]) > 256:
        raise SignalRefused("bad_shape", "plugin (1-256) or instance (0-256 characters) is wrong")
    if body["status"] not in model.SIGNAL_STATUSES:
        raise SignalRefused(
            "bad_shape", f"status must be one of {', '.join(model.SIGNAL_STATUSES)}"
        )
    message = body.get("message")
    if message is not None and (not isinstance(message, str) or len(message) > MAX_MESSAGE):
        raise SignalRefused("bad_shape", f"message must be a string of at most {MAX_MESSAGE}")
    stamp = body.get("time")
    if not isinstance(stamp, int) or isinstance(stamp, bool):
        raise SignalRefused("bad_shape", "time must be whole seconds since the epoch")
    nonce = body["nonce"]
    if not 8 <= len(nonce) <= 128 or not set(nonce) <= _NONCE_CHARS:
        raise SignalRefused("bad_shape", "nonce must be 8-128 letters, digits, '-' or '_'")
    signature = body["signature"]
    if len(signature) != 64 or not all(c in "0123456789abcdef" for c in signature.lower()):
        raise SignalRefused("bad_shape", "signature must be 64 hex digits (HMAC-SHA256)")


class SignalReceiver:
    """Verifies signals and applies them to a job store.

    Args:
        store: a :class:`~pyblish_qml_queue.queue.store.JobStore`.
        window: seconds a signal's time may be away from ``clock()``.
        clock: seconds since the epoch.
        on_applied: called with the job id after a signal changed a job (e.g. to
            wake the executor).
    """

    def __init__(
        self,
        store,
        window: float = WINDOW,
        clock: Callable[[], float] = time.time,
        on_applied: Optional[Callable[[str], None]] = None,
    ):
        self.store = store
        self.window = float(window)
        self.clock = clock
        self.on_applied = on_applied

    def receive(self, raw: bytes) -> dict:
        """Parse, verify and apply a request body. See :meth:`apply`."""
        try:
            body = parse(raw)
        except SignalRefused as exc:
            log.warning("farm signal refused (%s): %s", exc.reason, exc)
            raise
        return self.apply(body)

    def apply(self, body: dict) -> dict:
        """Verify a signal and apply it.

        Returns:
            ``{"ok": True, "result": "applied" | "already applied", "job", "state",
            "message"}``; ``state`` is the job's state after it.

        Raises:
            SignalRefused: with the reason; logged, nothing changed.
        """
        try:
            result = self._apply(body)
        except SignalRefused as exc:
            log.warning(
                "farm signal for job %s refused (%s%s): %s",
                body.get("job") if isinstance(body, dict) else "?",
                exc.reason,
                f", {exc.detail}" if exc.detail else "",
                exc,
            )
            raise
        log.info("farm signal for job %s: %s", result["job"], result["message"])
        if result["result"] == APPLIED and self.on_applied is not None:
            try:
                self.on_applied(result["job"])
            except Exception:
                log.exception("on_applied callback failed for job %s", result["job"])
        return result

    def _apply(self, body: dict) -> dict:
        check_shape(body)
        job_id = body["job"]
        try:
            job = self.store.get(job_id)
        except JobNotFound:
            job = None
        known = job is not None and job.id == job_id and bool(job.secret)
        matches = hmac.compare_digest(
            sign(body, job.secret if known else _NO_SECRET), body["signature"].lower()
        )
        if not known:
            raise _not_signed_by_job("unknown job")
        if not matches:
            raise _not_signed_by_job("wrong signature")
        now = self.clock()
        skew = body["time"] - now
        if abs(skew) > self.window:
            raise SignalRefused(
                "stale",
                f"the signal's time is {abs(skew):.0f} s {'ahead of' if skew > 0 else 'behind'} "
                f"this machine's clock (at most {self.window:g} s); check the clocks or "
                "send a fresh signal",
            )
        try:
            outcome, state = self.store.signal_step(
                job_id,
                body["plugin"],
                body["instance"],
                body["status"],
                body.get("message") or "",
                nonce=body["nonce"],
                sent=float(body["time"]),
                forget_before=now - 2 * self.window,
            )
        except NonceSeen:
            raise SignalRefused("replay", "this signal's nonce was used before (a replay)")
        except StepNotFound as exc:
            raise SignalRefused("unknown_step", str(exc))
        except NotWaiting as exc:
            raise SignalRefused("not_waiting", str(exc))
        except JobNotFound:
            raise _not_signed_by_job("job removed meanwhile")
        where = f"{body['plugin']} on {body['instance'] or 'context'}"
        if outcome == APPLIED:
            message = f"{body['status']} of {where} applied; the job is {state}"
        else:
            message = f"{body['status']} of {where} was already applied; nothing changed"
        return {"ok": True, "result": outcome, "job": job_id, "state": state, "message": message}
