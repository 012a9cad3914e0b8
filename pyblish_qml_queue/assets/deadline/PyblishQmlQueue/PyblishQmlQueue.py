"""Deadline event plug-in: tells pyblish-qml-queue how a farm job ended.

A pipeline's submit plug-in calls ``pyblish_qml_queue.expect_signal(instance)`` and
passes what it returns to the Deadline job, as extra info key/values or environment:

    PYBLISH_QML_QUEUE_JOB_ID, PYBLISH_QML_QUEUE_JOB_SECRET,
    PYBLISH_QML_QUEUE_PLUGIN, PYBLISH_QML_QUEUE_INSTANCE

When such a Deadline job finishes (OnJobFinished) or fails (OnJobFailed; also on
each error report, OnJobError, when "Errors Fail The Step" is on), this plug-in
signs a signal with the secret (HMAC-SHA256) and POSTs it to the queue's endpoint
(``pyblish-qml-queue serve --signals HOST:PORT`` or the app's setting). Deadline
jobs without our keys are ignored.

An endpoint that cannot be reached (or answers 5xx or 408) is tried again with
growing waits (1, 2, 4 ... s) for at most "Retry For" seconds in all (60 by
default), each attempt logged in the Deadline job's event log, so a Deadline
worker is never held for minutes. Each attempt is signed afresh (new nonce and
time); an attempt that reached the queue but whose answer was lost is answered
"already applied" by the next. A signal given up on is logged with the
``pyblish-qml-queue signal`` command a TD runs on the queue's machine to replay it.

Install: copy this folder to <repository>/custom/events/PyblishQmlQueue/ and set
the URL in Deadline Monitor > Tools > Configure Events. See docs/deadline.md.

Python 3, standard library only (runs in Deadline's own Python).
"""

import binascii
import hashlib
import hmac
import json
import os
import time
import urllib.error
import urllib.request

from Deadline.Events import DeadlineEventListener

KEYS = {
    "job": "PYBLISH_QML_QUEUE_JOB_ID",
    "secret": "PYBLISH_QML_QUEUE_JOB_SECRET",
    "plugin": "PYBLISH_QML_QUEUE_PLUGIN",
    "instance": "PYBLISH_QML_QUEUE_INSTANCE",
}
#: The signed fields (see pyblish_qml_queue/farm/signals.py: the two must agree).
FIELDS = ("job", "plugin", "instance", "status", "message", "time", "nonce")
DEFAULT_URL = "http://127.0.0.1:8765/v1/signal"
#: Seconds, in all, a signal is tried for (attempts and the waits between them).
DEFAULT_RETRY_FOR = 60.0
#: The first wait between two attempts and the longest, in seconds.
FIRST_WAIT, LONGEST_WAIT = 1.0, 15.0
#: HTTP answers worth another attempt: the endpoint is there but cannot answer now.
RETRY_STATUSES = (408, 429, 500, 502, 503, 504)

# The clock and sleep of the retries (tests replace them).
_clock = time.monotonic
_sleep = time.sleep


def GetDeadlineEventListener():
    return PyblishQmlQueueListener()


def CleanupDeadlineEventListener(deadlinePlugin):
    deadlinePlugin.Cleanup()


def canonical(body):
    """The bytes the signature covers: the seven fields as compact sorted JSON."""
    fields = dict((name, body.get(name)) for name in FIELDS)
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode(
        "ascii"
    )


def make_signal(job, plugin, instance, status, secret, message="", now=None):
    """A signed signal for the queue's POST /v1/signal."""
    body = {
        "job": job,
        "plugin": plugin,
        "instance": instance or "",
        "status": status,
        "message": message or "",
        "time": int(time.time() if now is None else now),
        "nonce": binascii.hexlify(os.urandom(16)).decode("ascii"),
    }
    key = secret.encode("utf-8")
    body["signature"] = hmac.new(key, canonical(body), hashlib.sha256).hexdigest()
    return body


class PyblishQmlQueueListener(DeadlineEventListener):
    def __init__(self):
        super().__init__()
        self.OnJobFinishedCallback += self.OnJobFinished
        self.OnJobFailedCallback += self.OnJobFailed
        self.OnJobErrorCallback += self.OnJobError

    def Cleanup(self):
        del self.OnJobFinishedCallback
        del self.OnJobFailedCallback
        del self.OnJobErrorCallback

    # -- events -------------------------------------------------------------------

    def OnJobFinished(self, job):
        self.send(job, "success", "Deadline job %s (%s) finished" % (job.JobName, job.JobId))

    def OnJobFailed(self, job):
        self.send(job, "failure", "Deadline job %s (%s) failed" % (job.JobName, job.JobId))

    def OnJobError(self, job, task, report):
        if not self._flag("ErrorsFailTheStep"):
            return
        detail = ""
        try:
            detail = report.ReportMessage
        except Exception:
            pass
        message = "Deadline job %s (%s) reported an error" % (job.JobName, job.JobId)
        self.send(job, "failure", message + (": %s" % detail if detail else ""))

    # -- sending --------------------------------------------------------------------

    def keys_of(self, job):
        """Our four values from the job's extra info, else its environment; None if absent."""
        values = {}
        for name, key in KEYS.items():
            value = job.GetJobExtraInfoKeyValue(key) or job.GetJobEnvironmentKeyValue(key)
            values[name] = value or ""
        if not values["job"]:
            return None
        return values

    def send(self, job, status, message):
        """Sign and POST a signal for ``job``; logs and never raises."""
        try:
            values = self.keys_of(job)
            if values is None:
                return None  # not one of ours
            missing = [KEYS[n] for n in ("secret", "plugin") if not values[n]]
            if missing:
                self.LogWarning(
                    "pyblish-qml-queue: job %s lacks %s; no signal sent. Pass every value "
                    "expect_signal() returns to the Deadline job." % (job.JobId, ", ".join(missing))
                )
                return None
            url = self.GetConfigEntryWithDefault("URL", DEFAULT_URL).strip() or DEFAULT_URL
            timeout = float(self.GetConfigEntryWithDefault("Timeout", "10") or 10)
            retry_for = float(
                self.GetConfigEntryWithDefault("RetryFor", str(DEFAULT_RETRY_FOR))
                or DEFAULT_RETRY_FOR
            )
        except Exception as exc:
            self.LogWarning("pyblish-qml-queue: could not send the %s signal: %s" % (status, exc))
            return None
        return self._deliver(job, values, status, message, url, timeout, retry_for)

    def _deliver(self, job, values, status, message, url, timeout, retry_for):
        """POST the signal, again with growing waits while the endpoint cannot answer,
        for at most ``retry_for`` seconds in all; logs each attempt."""
        started = _clock()
        wait = FIRST_WAIT
        attempt = 0
        while True:
            attempt += 1
            left = retry_for - (_clock() - started)
            try:
                body = make_signal(
                    values["job"],
                    values["plugin"],
                    values["instance"],
                    status,
                    values["secret"],
                    message,
                )
                status_code, answer = post(url, body, max(0.5, min(timeout, left)))
                why = None
                if status_code in RETRY_STATUSES:
                    why = "HTTP %s: %s" % (status_code, answer.get("error") or answer.get("reason"))
            except Exception as exc:  # unreachable, refused, timed out, reset
                status_code, answer, why = None, None, describe(exc)
            if why is None:
                break
            left = retry_for - (_clock() - started)
            if left <= 0:
                self.LogWarning(
                    "pyblish-qml-queue: attempt %d to send the %s signal to %s failed (%s); "
                    "gave up after %.0f s. Replay it on the queue's machine with: %s"
                    % (
                        attempt,
                        status,
                        url,
                        why,
                        _clock() - started,
                        replay_command(values, status, message),
                    )
                )
                return None
            pause = min(wait, left)
            self.LogInfo(
                "pyblish-qml-queue: attempt %d to send the %s signal to %s failed (%s); "
                "trying again in %.0f s" % (attempt, status, url, why, pause)
            )
            _sleep(pause)
            wait = min(LONGEST_WAIT, wait * 2)
        after = " (attempt %d)" % attempt if attempt > 1 else ""
        if answer.get("ok"):
            self.LogInfo("pyblish-qml-queue: %s%s" % (answer.get("message"), after))
        else:
            self.LogWarning(
                "pyblish-qml-queue: signal refused (%s, HTTP %s): %s%s"
                % (answer.get("reason"), status_code, answer.get("error"), after)
            )
        return answer

    def _flag(self, name):
        value = self.GetConfigEntryWithDefault(name, "False")
        return str(value).strip().lower() in ("true", "1", "yes", "on")


def describe(exc):
    """One line for a failed POST: the socket's reason rather than urllib's wrapping."""
    reason = getattr(exc, "reason", None)
    if reason is not None and not isinstance(reason, str):
        exc = reason
    return str(exc) or type(exc).__name__


def _quote(text):
    text = str(text)
    if text and all(c.isalnum() or c in "-_./:" for c in text):
        return text
    return "'" + text.replace("'", "'\\''") + "'"


def replay_command(values, status, message):
    """The ``pyblish-qml-queue signal`` command that applies this signal by hand on the
    queue's machine (no secret needed there)."""
    return (
        "pyblish-qml-queue signal --job %s --plugin %s --instance %s --status %s --message %s"
        % (
            _quote(values["job"]),
            _quote(values["plugin"]),
            _quote(values["instance"]),
            status,
            _quote(message),
        )
    )


def post(url, body, timeout):
    """POST ``body`` as JSON; ``(HTTP status, answer dict)``."""
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode("utf-8"),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
        code, raw = response.status, response.read()
        response.close()
    except urllib.error.HTTPError as exc:
        code, raw = exc.code, exc.read()
        exc.close()
    try:
        answer = json.loads(raw.decode("utf-8"))
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        answer = {"ok": False, "reason": "bad_answer", "error": raw[:200]}
    return code, answer
