"""Waiting for something to become true, with a deadline instead of a sleep."""

import time


def wait_until(predicate, timeout=30.0, what="condition", tick=None):
    """Poll ``predicate`` until it returns something truthy, and return that.

    Args:
        predicate: called every 20 ms.
        timeout: seconds before the wait fails.
        what: what is awaited, for the failure message.
        tick: called before each poll (e.g. ``qapp.processEvents``), or None.

    Raises:
        AssertionError: ``predicate`` stayed falsy for ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    while True:
        if tick is not None:
            tick()
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)
