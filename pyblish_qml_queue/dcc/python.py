"""The plain-Python host: no scene, the executor's own Python runs the worker.

Standard library only, Python 3.7 syntax.
"""

from pyblish_qml_queue.dcc.base import HostAdapter


class PythonAdapter(HostAdapter):
    """Any Python process that is not a DCC we know (a script, a farm job)."""
