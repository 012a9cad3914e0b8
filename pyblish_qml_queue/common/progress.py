"""Progress inside a long step, for plugins.

A plugin that runs for a long time (a point cache, a simulation) tells the
queue how far it got::

    from pyblish_qml_queue.common import progress

    for n, frame in enumerate(frames):
        ...
        progress.report(float(n + 1) / len(frames), "frame %d" % frame)

In a queue worker this emits a ``progress`` event for the running step, shown
as the step's progress bar. Anywhere else (in the DCC, in plain pyblish) it
does nothing, so plugins can call it unconditionally.

Standard library only, Python 3.7 syntax.
"""

_sink = [None]


def report(fraction, message=""):
    """Tell the queue how far the running step got.

    Args:
        fraction: 0.0 to 1.0 (clamped).
        message: a short note for people, e.g. "frame 120 of 240".
    """
    sink = _sink[0]
    if sink is None:
        return
    try:
        fraction = min(1.0, max(0.0, float(fraction)))
    except (TypeError, ValueError):
        return
    sink(fraction, str(message))


def bind(sink):
    """Route :func:`report` to ``sink(fraction, message)``; None unbinds. For the worker."""
    _sink[0] = sink
