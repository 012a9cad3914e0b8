"""The ``States`` singleton: the one vocabulary of states, as QML sees it.

QML compares against these instead of spelling state names::

    import PyblishQueue.Backend
    color: jobState === States.job.failed ? Theme.error : Theme.text

Each property is a constant map from a camelCase name to the state's value
(``States.host.handedOff === "handed off"``), built from the enums in
:mod:`pyblish_qml_queue.common.states`; it needs no session, so any engine
that imports ``PyblishQueue.Backend`` has it.
"""

from __future__ import annotations

from PySide6.QtCore import Property, QObject
from PySide6.QtQml import QmlElement, QmlSingleton

from pyblish_qml_queue.common import stages, states

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


def camel(name: str) -> str:
    """``HANDED_OFF`` -> ``handedOff``."""
    first, *rest = name.lower().split("_")
    return first + "".join(word.capitalize() for word in rest)


def names(enum) -> dict:
    """``{camelCase name: value}`` of a state enum, values as plain strings."""
    return {camel(member.name): member.value for member in enum}


#: Property name -> the map QML reads.
VOCABULARY = {
    "host": names(states.HostState),
    "job": names(states.JobState),
    "step": names(states.StepState),
    "item": names(states.ItemState),
    "hostGroup": names(states.HostGroup),
    "jobGroup": names(states.JobGroup),
}


@QmlElement
@QmlSingleton
class States(QObject):
    """Host, job, step and row states, and the filter groups, for QML."""

    @Property("QVariantMap", constant=True)
    def host(self):
        """connected, collecting, ..., handedOff, finished, failed, disconnected."""
        return VOCABULARY["host"]

    @Property("QVariantMap", constant=True)
    def job(self):
        """queued, running, waiting, succeeded, failed, cancelled, interrupted."""
        return VOCABULARY["job"]

    @Property("QVariantMap", constant=True)
    def step(self):
        """pending, running, succeeded, failed, skipped, waiting."""
        return VOCABULARY["step"]

    @Property("QVariantMap", constant=True)
    def item(self):
        """A Publish page row: idle, processing, success, warning, error."""
        return VOCABULARY["item"]

    @Property("QVariantMap", constant=True)
    def hostGroup(self):
        """The Overview's filters: all, active, finished, disconnected."""
        return VOCABULARY["hostGroup"]

    @Property("QVariantMap", constant=True)
    def jobGroup(self):
        """The Queue page's group filters: active, finished."""
        return VOCABULARY["jobGroup"]

    @Property(list, constant=True)
    def stages(self):
        """pyblish's stages in order: collect, validate, extract, integrate."""
        return list(stages.STAGES)

    @Property(list, constant=True)
    def hostBusy(self):
        """Host states in which a publish runs on the host."""
        return [s.value for s in states.HOST_BUSY]
