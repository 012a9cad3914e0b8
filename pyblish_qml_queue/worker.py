"""The worker: runs the remaining steps of one job and streams JSON events.

    python -m pyblish_qml_queue.worker     (also under mayapy / hython)

The protocol is written down in docs/adr/0002-worker-protocol.md. In short:
one JSON line on stdin ``{"payload": {...}, "steps": [...]}``, then control
lines (``{"control": "stop"}``; EOF means the parent is gone); one JSON event
per line on stdout (step_started, record, progress, step_finished,
job_finished, fatal). Plugin output goes to stderr.

Runs inside DCCs: standard library and pyblish-base only, Python 3.7 syntax.
"""

import importlib
import json
import logging
import os
import signal
import sys
import threading
import time
import traceback

# Run as ``-m``, __name__ is "__main__"; log under the module's real name.
log = logging.getLogger("pyblish_qml_queue.worker")

#: Step states this worker reads and writes (as in queue.model).
DONE = ("succeeded", "skipped")

#: Records kept per step in step_finished; the earliest beyond this are left out.
MAX_RECORDS = 1000

#: Exit codes.
EXIT_OK = 0
EXIT_FATAL = 1
EXIT_BROKEN_PIPE = 3

#: Launch variables the job's env does not override (the executor set them up).
LAUNCH_ENV = ("PATH", "PYTHONPATH", "PYTHONHOME", "PYTHONEXECUTABLE", "PYTHONIOENCODING")


class Fatal(Exception):
    """The job cannot start; the message says why in one line."""


# -- the process ---------------------------------------------------------------------


def die_with_parent():
    """On Linux, ask the kernel to SIGKILL this process when its parent dies.

    Best effort. The signal follows the parent *thread* that started us, so
    the executor keeps that thread alive while we run.
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        pr_set_pdeathsig = 1
        if libc.prctl(pr_set_pdeathsig, int(signal.SIGKILL), 0, 0, 0) != 0:
            log.debug("prctl(PR_SET_PDEATHSIG) failed: errno %d", ctypes.get_errno())
    except Exception:
        log.debug("prctl(PR_SET_PDEATHSIG) is not available", exc_info=True)


class Events(object):
    """The event stream: one JSON object per line on the real stdout.

    A write to a closed pipe ends the process at once with exit code 3: nobody
    is listening, and nothing more we do would be recorded.
    """

    def __init__(self, fd):
        self._fd = fd
        self._lock = threading.Lock()

    def emit(self, event):
        data = (json.dumps(event, allow_nan=False, default=str) + "\n").encode("ascii")
        with self._lock:
            try:
                while data:
                    written = os.write(self._fd, data)
                    data = data[written:]
            except OSError:  # BrokenPipeError and friends: the parent is gone
                os._exit(EXIT_BROKEN_PIPE)


def take_stdout():
    """Keep the real stdout for events; point fd 1 and sys.stdout at stderr.

    Plugins that print (or write to fd 1 from C code or child processes) then
    cannot corrupt the event stream.
    """
    try:
        sys.stdout.flush()
    except Exception:
        pass
    events_fd = os.dup(1)  # not inherited by the plugins' child processes
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    return Events(events_fd)


class Lines(object):
    """Lines from a file descriptor, read unbuffered by us.

    os.read on the fd, rather than sys.stdin, so the control thread holds no
    lock of sys.stdin's buffer when the interpreter shuts down.
    """

    def __init__(self, fd):
        self._fd = fd
        self._buffer = b""

    def readline(self):
        """The next line without its newline, or None at EOF."""
        while b"\n" not in self._buffer:
            try:
                chunk = os.read(self._fd, 65536)
            except OSError:
                chunk = b""
            if not chunk:
                line, self._buffer = self._buffer, b""
                return line or None
            self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line


class Control(object):
    """Control lines from the executor, read in a thread: stop between steps.

    ``{"control": "stop"}`` asks to stop before the next step; EOF on stdin
    means the parent is gone, which stops too.
    """

    def __init__(self, lines):
        self.stop = threading.Event()
        self.parent_gone = False
        self._lines = lines

    def start(self):
        thread = threading.Thread(target=self._read, name="worker-control")
        thread.daemon = True
        thread.start()

    def _read(self):
        while True:
            line = self._lines.readline()
            if line is None:
                self.parent_gone = True
                self.stop.set()
                return
            if not line.strip():
                continue
            try:
                message = json.loads(line.decode("utf-8"))
            except ValueError:
                log.warning("ignoring a control line that is not JSON: %r", line[:200])
                continue
            if isinstance(message, dict) and message.get("control") == "stop":
                log.info("stop requested; stopping before the next step")
                self.stop.set()
            else:
                log.warning("ignoring an unknown control line: %r", line[:200])


# -- data ----------------------------------------------------------------------------


def read_input(lines):
    """The first stdin line: ``(payload, steps)``. Raises Fatal when malformed."""
    line = lines.readline()
    if line is None:
        raise Fatal("the worker got no job on stdin (EOF before the first line)")
    try:
        message = json.loads(line.decode("utf-8"))
    except ValueError as exc:
        raise Fatal("the worker's first stdin line is not JSON: %s" % exc)
    if not isinstance(message, dict):
        raise Fatal("the worker's first stdin line must be a JSON object")
    payload = message.get("payload")
    steps = message.get("steps")
    if not isinstance(payload, dict):
        raise Fatal("the worker's input has no 'payload' object")
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        raise Fatal("the worker's input has no 'steps' list of objects")
    for n, step in enumerate(steps):
        if not isinstance(step.get("index"), int) or isinstance(step.get("index"), bool):
            raise Fatal("step %d of the worker's input has no integer 'index'" % n)
        if not isinstance(step.get("plugin"), str) or not isinstance(step.get("module"), str):
            raise Fatal("step %d of the worker's input needs 'plugin' and 'module' names" % n)
    return payload, sorted(steps, key=lambda s: s["index"])


def apply_env(env):
    """Update os.environ with the job's env, keeping the launch's PATH and Python setup.

    Entries of the job's PYTHONPATH missing from sys.path are appended, after
    the launch's own, so modules the host imported are importable here too.
    """
    if not isinstance(env, dict):
        raise Fatal("the job's env must be an object of strings")
    for name, value in env.items():
        if not isinstance(value, str):
            raise Fatal("the job's env variable %r is not a string" % name)
        if name.upper() in LAUNCH_ENV:
            continue
        os.environ[name] = value
    for entry in (env.get("PYTHONPATH") or "").split(os.pathsep):
        if entry and entry not in sys.path:
            sys.path.append(entry)


def rebuild_context(payload):
    """A pyblish Context with the job's data and instances, and ``{id: instance}``."""
    import pyblish.api

    context = pyblish.api.Context()
    context.data.update((payload.get("context") or {}).get("data") or {})
    instances = {}
    for raw in payload.get("instances") or []:
        instance = context.create_instance(raw["name"])
        # Keep the host's id, so context[id], steps and changes agree.
        instance._id = raw["id"]
        families = raw.get("families") or []
        if families:
            instance.data["family"] = families[0]
            instance.data["families"] = list(families[1:])
        instance.data.update(raw.get("data") or {})
        instances[raw["id"]] = instance
    return context, instances


def replay(changes, context, instances):
    """Apply one done step's recorded ``changes`` to the rebuilt data."""
    if not isinstance(changes, dict):
        return
    _apply(changes.get("context"), context.data)
    for instance_id, change in (changes.get("instances") or {}).items():
        instance = instances.get(instance_id)
        if instance is None:
            log.warning("recorded changes name instance %s, which the job lacks", instance_id)
            continue
        _apply(change, instance.data)


def _apply(change, data):
    if not isinstance(change, dict):
        return
    for key in change.get("removed") or []:
        data.pop(key, None)
    data.update(change.get("set") or {})


class _Unsafe(object):
    """A value JSON cannot carry, remembered by identity and type name."""

    def __init__(self, value):
        self.value = value
        self.kind = type(value).__name__

    def __eq__(self, other):
        return isinstance(other, _Unsafe) and other.value is self.value

    def __ne__(self, other):
        return not self == other


def _encode(data, exclude=()):
    """``{key: JSON text or _Unsafe}`` of a data dict, to compare before and after."""
    from pyblish_qml_queue.host.job import NotJsonSafe, check_json_safe

    out = {}
    for key, value in list(data.items()):
        if key in exclude:
            continue
        try:
            check_json_safe(value, "")
            out[key] = json.dumps(value, sort_keys=True, allow_nan=False)
        except (NotJsonSafe, TypeError, ValueError):
            out[key] = _Unsafe(value)
    return out


class _Data(object):
    """A snapshot of one data dict, cheap when nothing changes.

    The whole dict is encoded at once (json's C encoder); per-key texts are
    made only when two snapshots differ, or eagerly when the dict holds
    something JSON cannot carry.
    """

    def __init__(self, data, exclude=()):
        items = dict((k, v) for k, v in list(data.items()) if k not in exclude)
        try:
            self.whole = json.dumps(items, sort_keys=True, allow_nan=False)
            self._keys = None
        except (TypeError, ValueError):
            self.whole = None
            self._keys = _encode(items)

    def same(self, other):
        return self.whole is not None and self.whole == other.whole

    def keys(self):
        if self._keys is None:
            self._keys = dict(
                (k, json.dumps(v, sort_keys=True, allow_nan=False))
                for k, v in json.loads(self.whole).items()
            )
        return self._keys


def _diff(before, after, where, warnings):
    changed = {}
    for key, value in after.items():
        if before.get(key) == value:
            continue
        if isinstance(value, _Unsafe) or not isinstance(key, str):
            warnings.append(
                "%s key %r now holds a %s, which cannot be kept for a resumed job; "
                "it is left out of this step's changes. Store JSON data or a path instead."
                % (where, key, getattr(value, "kind", "non-str key"))
            )
            continue
        changed[key] = json.loads(value)
    removed = [key for key in before if key not in after and isinstance(key, str)]
    return {"set": changed, "removed": removed}


def _changed(before, after, where, warnings):
    if before.same(after):
        return {"set": {}, "removed": []}
    return _diff(before.keys(), after.keys(), where, warnings)


def record_dict(record):
    """A LogRecord as JSON: name, level, message, time, module, lineno."""
    try:
        message = record.getMessage()
    except Exception:
        message = str(record.msg)
    if record.exc_info:
        try:
            message = "%s\n%s" % (message, logging.Formatter().formatException(record.exc_info))
        except Exception:
            pass
    return {
        "name": record.name,
        "level": record.levelname,
        "message": message,
        "time": record.created,
        "module": record.module,
        "lineno": record.lineno,
    }


def _note(level, message):
    return {
        "name": "pyblish_qml_queue.worker",
        "level": level,
        "message": message,
        "time": time.time(),
        "module": "worker",
        "lineno": 0,
    }


class LiveRecords(logging.Handler):
    """Streams the plugins' log records as ``record`` events while a step runs.

    Takes what pyblish keeps for a result (loggers named ``pyblish*``), minus
    our own.
    """

    def __init__(self, events, index):
        logging.Handler.__init__(self, logging.DEBUG)
        self._events = events
        self._index = index

    def emit(self, record):
        if not record.name.startswith("pyblish") or record.name.startswith("pyblish_qml_queue"):
            return
        try:
            self._events.emit(
                {"event": "record", "index": self._index, "record": record_dict(record)}
            )
        except Exception:
            self.handleError(record)


# -- plugins -------------------------------------------------------------------------


def load_plugins(payload):
    """Register the job's host, targets and plugin sources; ``{(module, name): plugin}``."""
    import pyblish.api
    import pyblish.plugin

    from pyblish_qml_queue.host.job import plugin_locator

    host = payload.get("host") or {}
    hosts = [host.get("application")] + list(host.get("hosts") or [])
    # pyblish reads PYBLISH_HOSTS when imported, which may have been before apply_env.
    hosts += os.environ.get("PYBLISH_HOSTS", "").split(os.pathsep)
    for name in hosts:
        if isinstance(name, str) and name:
            pyblish.api.register_host(name)  # discover() keeps plugins made for it
    for target in payload.get("targets") or []:
        pyblish.api.register_target(target)
    sources = payload.get("plugins") or {}
    for path in sources.get("paths") or []:
        if path not in pyblish.api.registered_paths():
            pyblish.api.register_plugin_path(path)
    for name in sources.get("modules") or []:
        try:
            module = importlib.import_module(name)
        except Exception as exc:
            raise Fatal("could not import plugin module %r: %s" % (name, exc))
        for plugin in pyblish.plugin.plugins_from_module(module):
            pyblish.api.register_plugin(plugin)
    found = {}
    for plugin in pyblish.api.discover():
        found.setdefault(plugin_locator(plugin), plugin)
    return found


def _not_found(step, sources):
    return "plugin %s.%s not found in paths %s or modules %s" % (
        step["module"],
        step["plugin"],
        list(sources.get("paths") or []),
        list(sources.get("modules") or []),
    )


# -- the run -------------------------------------------------------------------------


class Run(object):
    """One job's remaining steps, run in order; a failed step stops the job."""

    def __init__(self, payload, steps, events, control):
        self.payload = payload
        self.steps = steps
        self.events = events
        self.control = control
        self.context, self.instances = rebuild_context(payload)
        for step in steps:
            if step.get("state") in DONE:
                replay(step.get("changes"), self.context, self.instances)
        self.plugins = load_plugins(payload)
        self._last = None  # the data snapshot after the last step

    def run(self):
        """Run the remaining steps; returns the job_finished event it emitted."""
        for step in self.steps:
            if step.get("state") in DONE:
                continue
            if self.control.stop.is_set():
                return self._finish({"event": "job_finished", "state": "stopped"})
            outcome = self.run_step(step)
            if outcome["state"] == "failed":
                return self._finish(
                    {
                        "event": "job_finished",
                        "state": "failed",
                        "error": "%s on %s failed: %s"
                        % (
                            step.get("label") or step["plugin"],
                            step.get("instance") or "context",
                            outcome["error"],
                        ),
                    }
                )
        return self._finish({"event": "job_finished", "state": "succeeded"})

    def _finish(self, event):
        self.events.emit(event)
        return event

    def run_step(self, step):
        """Run one step; emits step_started, records, progress and step_finished."""
        import pyblish.plugin

        from pyblish_qml_queue.host import progress

        index = step["index"]
        self.events.emit({"event": "step_started", "index": index})
        started = time.time()
        plugin = self.plugins.get((step["module"], step["plugin"]))
        instance = None
        if step.get("instance_id") is not None:
            instance = self.instances.get(step["instance_id"])
            if instance is None:
                return self._finished(
                    step,
                    started,
                    "failed",
                    "instance %s (%s) is not in the job"
                    % (step.get("instance"), step["instance_id"]),
                )
        if plugin is None:
            return self._finished(
                step, started, "failed", _not_found(step, self.payload.get("plugins") or {})
            )
        if instance is not None and instance.data.get("publish") is False:
            return self._finished(step, started, "skipped")

        before = self._snapshot()
        live = LiveRecords(self.events, index)
        root = logging.getLogger()
        root.addHandler(live)
        progress.bind(
            lambda fraction, message: self.events.emit(
                {"event": "progress", "index": index, "fraction": fraction, "message": message}
            )
        )
        try:
            result = pyblish.plugin.process(plugin, self.context, instance)
        except (Exception, SystemExit) as exc:  # pyblish failed, or a plugin called sys.exit
            log.exception("step %d did not return", index)
            if isinstance(exc, SystemExit):
                error = "the plugin called sys.exit(%s)" % (exc.code,)
            else:
                error = str(exc) or type(exc).__name__
            return self._finished(step, started, "failed", error, traceback.format_exc())
        finally:
            progress.bind(None)
            root.removeHandler(live)
        warnings = []
        changes = self._changes(before, warnings)
        records = [record_dict(r) for r in result.get("records") or []]
        records += [_note("WARNING", w) for w in warnings]
        error = result.get("error")
        if error is None:
            return self._finished(step, started, "succeeded", records=records, changes=changes)
        return self._finished(
            step,
            started,
            "failed",
            str(error) or type(error).__name__,
            getattr(error, "formatted_traceback", None),
            records,
            changes,
        )

    def _snapshot(self):
        """(context data, {instance id: data}) as :class:`_Data`; the snapshot after a
        step is the one before the next, as nothing else touches the data."""
        if self._last is None:
            self._last = (
                _Data(self.context.data, exclude=("results",)),
                dict((i, _Data(inst.data)) for i, inst in self.instances.items()),
            )
        return self._last

    def _changes(self, before, warnings):
        self._last = None
        context_before, instances_before = before
        context_after, instances_after = self._snapshot()
        changes = {
            "context": _changed(context_before, context_after, "context data", warnings),
            "instances": {},
        }
        for instance_id, after in instances_after.items():
            where = "instance %r data" % self.instances[instance_id].name
            change = _changed(instances_before[instance_id], after, where, warnings)
            if change["set"] or change["removed"]:
                changes["instances"][instance_id] = change
        return changes

    def _finished(self, step, started, state, error=None, tb=None, records=None, changes=None):
        records = list(records or [])
        if len(records) > MAX_RECORDS:
            dropped = len(records) - MAX_RECORDS
            records = [
                _note("WARNING", "%d earlier log records of this step were left out" % dropped)
            ] + records[-MAX_RECORDS:]
        event = {
            "event": "step_finished",
            "index": step["index"],
            "state": state,
            "duration": time.time() - started,
            "error": error,
            "traceback": tb,
            "records": records,
            "changes": changes or {},
        }
        self.events.emit(event)
        return event


def _configure_logging():
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.INFO)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def main():
    """Run one job from stdin. Returns the exit code: 0 ran (whatever the job's
    outcome), 1 fatal error before the steps, 3 (via os._exit) nobody listening."""
    die_with_parent()
    events = take_stdout()
    _configure_logging()
    lines = Lines(0)
    control = Control(lines)
    try:
        payload, steps = read_input(lines)
        apply_env(payload.get("env") or {})
        run = Run(payload, steps, events, control)
    except Exception as exc:
        error = str(exc) if isinstance(exc, Fatal) else "the worker could not start: %s" % exc
        log.error("%s", error, exc_info=not isinstance(exc, Fatal))
        events.emit({"event": "fatal", "error": error, "traceback": traceback.format_exc()})
        return EXIT_FATAL
    control.start()
    try:
        run.run()
    except Exception as exc:
        log.exception("the worker failed")
        events.emit(
            {
                "event": "fatal",
                "error": "the worker failed: %s" % exc,
                "traceback": traceback.format_exc(),
            }
        )
        return EXIT_FATAL
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
