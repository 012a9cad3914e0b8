"""A fake of Houdini's ``hdefereval`` (graphical sessions only):
``executeInMainThreadWithResult(code, *args, **kwargs)`` runs ``code`` on the main
thread, waits and returns its result; the fake runs it here and records the call."""

import threading

import hou

calls = hou.calls


def executeInMainThreadWithResult(code, *args, **kwargs):
    calls.append(
        (
            "hdefereval.executeInMainThreadWithResult",
            (code,) + args,
            dict(kwargs, thread=threading.current_thread().name),
        )
    )
    return code(*args, **kwargs)
