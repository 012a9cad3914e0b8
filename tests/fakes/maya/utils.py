"""Fake ``maya.utils``: ``executeInMainThreadWithResult(callable, *args)``.

Maya runs ``callable(*args)`` on its main thread at the next idle and returns its
result (directly when called from the main thread); the fake runs it here and
records the call and the thread it came from."""

import threading

import maya as _maya


def executeInMainThreadWithResult(callable, *args):
    _maya.calls.append(
        (
            "executeInMainThreadWithResult",
            (callable,) + args,
            {"thread": threading.current_thread().name},
        )
    )
    return callable(*args)
