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
            body = make_signal(
                values["job"],
                values["plugin"],
                values["instance"],
                status,
                values["secret"],
                message,
            )
            url = self.GetConfigEntryWithDefault("URL", DEFAULT_URL).strip() or DEFAULT_URL
            timeout = float(self.GetConfigEntryWithDefault("Timeout", "10") or 10)
            status_code, answer = post(url, body, timeout)
        except Exception as exc:
            self.LogWarning("pyblish-qml-queue: could not send the %s signal: %s" % (status, exc))
            return None
        if answer.get("ok"):
            self.LogInfo("pyblish-qml-queue: %s" % answer.get("message"))
        else:
            self.LogWarning(
                "pyblish-qml-queue: signal refused (%s, HTTP %s): %s"
                % (answer.get("reason"), status_code, answer.get("error"))
            )
        return answer

    def _flag(self, name):
        value = self.GetConfigEntryWithDefault(name, "False")
        return str(value).strip().lower() in ("true", "1", "yes", "on")


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
