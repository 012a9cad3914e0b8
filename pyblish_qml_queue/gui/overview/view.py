"""The ``Overview`` singleton: the host cards' filter group, search, sort and counts.

The filters live in the session's :class:`~pyblish_qml_queue.gui.overview.filter.HostFilterProxy`.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot
from PySide6.QtQml import QmlElement, QmlSingleton

from pyblish_qml_queue.common.states import HostGroup
from pyblish_qml_queue.gui.overview.hosts import filter_group
from pyblish_qml_queue.gui.singletons import SESSIONS, set_and_notify

log = logging.getLogger(__name__)

QML_IMPORT_NAME = "PyblishQueue.Backend"
QML_IMPORT_MAJOR_VERSION = 1


@QmlElement
@QmlSingleton
class Overview(QObject):
    """The host cards: filter group, search, sort and counts per group."""

    filterChanged = Signal()
    countsChanged = Signal()
    jobsChanged = Signal()

    def __init__(self, session=None, parent=None):
        super().__init__(parent)
        self._session = session
        self._counts = {group.value: 0 for group in HostGroup}
        self._jobs = {}  # job id -> what a card shows of the job its host handed off
        if session is not None:
            session.jobs.jobsRefreshed.connect(self._jobs_refreshed)
            session.jobs.modelReset.connect(self.track_jobs)

    @staticmethod
    def create(engine):
        return SESSIONS.singleton(engine, "overview")

    @Property(QObject, constant=True)
    def hosts(self):
        return self._session.host_proxy

    @Property(str, notify=filterChanged)
    def group(self):
        return self._session.host_proxy._group

    @Property(str, notify=filterChanged)
    def search(self):
        return self._session.host_proxy._search

    @Property(str, notify=filterChanged)
    def sortKey(self):
        return self._session.host_proxy._sort_key

    @Property("QVariantMap", notify=countsChanged)
    def counts(self):
        return dict(self._counts)

    @Property("QVariantMap", notify=jobsChanged)
    def jobs(self):
        """``{job id: {title, state, done, total}}`` of the jobs the cards' hosts handed off
        (a job no longer in the store is left out)."""
        return dict(self._jobs)

    @Slot(str)
    def setGroup(self, group):
        if self._session.host_proxy.set_group(group):
            self.filterChanged.emit()

    @Slot(str)
    def setSearch(self, text):
        if self._session.host_proxy.set_search(text):
            self.filterChanged.emit()

    @Slot(str)
    def setSortKey(self, key):
        if self._session.host_proxy.set_sort_key(key):
            self.filterChanged.emit()

    @Slot(str)
    def forget(self, host_id):
        """Drop a disconnected host's card."""
        hub = self._session.hub
        if hub is None:
            return
        try:
            hub.forget(host_id)
        except Exception as exc:  # the hub's own error, shown in one line
            log.exception("Could not forget host %s", host_id)
            self._session.app.say(f"Could not forget host {host_id}: {exc}")

    @Slot(result=int)
    def forgetDisconnected(self):
        """Drop the card of every disconnected host (the connected ones stay); says how
        many went in the status line, and returns it."""
        hub = self._session.hub
        if hub is None:
            return 0
        gone = [
            snap["id"]
            for snap in self._session.hosts.snapshots()
            if filter_group(snap) == HostGroup.DISCONNECTED and snap.get("id")
        ]
        forgotten, failed = 0, []
        for host_id in gone:
            try:
                hub.forget(host_id)
            except Exception as exc:  # e.g. it connected again meanwhile: it stays
                log.info("Did not forget host %s: %s", host_id, exc)
                failed.append(host_id)
            else:
                forgotten += 1
        text = f"Forgot {forgotten} disconnected host{'' if forgotten == 1 else 's'}"
        if failed:
            text += f" ({len(failed)} connected again or could not be forgotten; see the log)"
        self._session.app.say(text)
        return forgotten

    def recount(self):
        counts = {group.value: 0 for group in HostGroup}
        for snap in self._session.hosts.snapshots():
            counts[HostGroup.ALL] += 1
            counts[filter_group(snap)] += 1
        set_and_notify(self, "_counts", counts, self.countsChanged)
        self.track_jobs()

    def track_jobs(self):
        """Read again what the cards show of their hosts' jobs (the rows of the Queue)."""
        jobs = self._session.jobs
        found = {}
        for snap in self._session.hosts.snapshots():
            job_id = snap.get("job_id")
            if not job_id:
                continue
            try:
                row = jobs.summary(job_id)
            except KeyError:
                continue
            found[job_id] = {
                "title": row["title"],
                "state": row["state"],
                "done": row["done"],
                "total": row["total"],
            }
        set_and_notify(self, "_jobs", found, self.jobsChanged)

    def _jobs_refreshed(self, ids):
        if any(snap.get("job_id") in ids for snap in self._session.hosts.snapshots()):
            self.track_jobs()
