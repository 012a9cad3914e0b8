"""The Publish page's own side: its rows, Terminal filters, detail pane, tab and notice.

:class:`PublishPage` shows a :class:`~pyblish_qml_queue.gui.publish.state.PageState`
through the Qt models of :mod:`pyblish_qml_queue.gui.publish.models`, and keeps
what the user changes on the page alone (folded sections, the tab, the
Terminal's filters, the open detail). :class:`~pyblish_qml_queue.gui.publish.view.Publish`
builds on it with the host: following the app's current host through the hub
and driving it.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Property, QObject, Signal, Slot

from pyblish_qml_queue.gui.publish import rules as publishrules
from pyblish_qml_queue.gui.publish.host import EMPTY_ITEMS
from pyblish_qml_queue.gui.publish.models import (
    LEVELS,
    ItemListModel,
    RecordFilterProxy,
    RecordModel,
)
from pyblish_qml_queue.gui.publish.state import PageState

log = logging.getLogger(__name__)


class PublishPage(QObject):
    """Instances, plugins, Terminal and detail of one :class:`PageState`."""

    detailChanged = Signal()
    tabChanged = Signal()
    filterChanged = Signal()
    noticeChanged = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.instance_model = ItemListModel(self)
        self.plugin_model = ItemListModel(self)
        self.record_model = RecordModel(self)
        self.record_proxy = RecordFilterProxy(self.record_model, self)
        self._state = PageState(EMPTY_ITEMS, settings=publishrules.app_settings())
        self._sent = 0  # records handed to the record model
        self._detail_id = ""
        self._detail: dict = {}
        self._tab = "items"
        self._notice = ""

    # -- properties --------------------------------------------------------------------

    @Property(QObject, constant=True)
    def instances(self):
        return self.instance_model

    @Property(QObject, constant=True)
    def plugins(self):
        return self.plugin_model

    @Property(QObject, constant=True)
    def records(self):
        return self.record_proxy

    @Property(bool, notify=detailChanged)
    def detailOpen(self):
        return bool(self._detail_id)

    @Property("QVariantMap", notify=detailChanged)
    def detail(self):
        return self._detail

    @Property(str, notify=noticeChanged)
    def notice(self):
        """The outcome of the last button on this page when it went wrong (one line)."""
        return self._notice

    @Property(str, notify=tabChanged)
    def tab(self):
        return self._tab

    @Property(str, notify=filterChanged)
    def textFilter(self):
        return self.record_proxy.text

    @Property("QVariantMap", notify=filterChanged)
    def levels(self):
        on = self.record_proxy.levels
        return {name: name in on for name in LEVELS}

    # -- the state behind the page (tests and the benchmark read it) ---------------------

    @property
    def state(self) -> PageState:
        return self._state

    # -- slots -----------------------------------------------------------------------------

    @Slot(str)
    def toggleSection(self, section_id):
        collapsed = self._state.collapsed
        if section_id in collapsed:
            collapsed.discard(section_id)
        else:
            collapsed.add(section_id)
        self._set_all_rows()

    @Slot(str)
    def openDetail(self, item_id):
        try:
            detail = self._state.detail(item_id)
        except KeyError:
            return
        self._detail_id, self._detail = item_id, detail
        self.detailChanged.emit()

    @Slot()
    def closeDetail(self):
        if self._detail_id:
            self._detail_id, self._detail = "", {}
            self.detailChanged.emit()

    @Slot(str)
    def setTab(self, tab):
        if tab in ("items", "terminal") and tab != self._tab:
            self._tab = tab
            self.tabChanged.emit()

    @Slot(str)
    def setTextFilter(self, text):
        if self.record_proxy.set_text(text):
            self.filterChanged.emit()

    @Slot(str, bool)
    def setLevel(self, level, on):
        if self.record_proxy.set_level(level, on):
            self.filterChanged.emit()

    # -- showing the state -------------------------------------------------------------------

    def _show_state(self, state: PageState) -> None:
        """Show ``state`` from scratch: every row and record; the detail closes."""
        self._state = state
        self._set_all_rows()
        self.record_model.set_records(state.records)
        self._sent = len(state.records)
        self._detail_id, self._detail = "", {}
        self._set_notice("")
        self.detailChanged.emit()

    def _show_new_records(self) -> None:
        records = self._state.records
        if len(records) > self._sent:
            self.record_model.append(records[self._sent :])
            self._sent = len(records)

    def _set_all_rows(self):
        self.instance_model.set_rows(self._state.instance_rows())
        self.plugin_model.set_rows(self._state.plugin_rows())

    def _update_rows(self, ids):
        if not ids:
            return
        row = self._state.row
        self.instance_model.update(ids, row)
        self.plugin_model.update(ids, row)

    def _set_notice(self, text):
        if text != self._notice:
            self._notice = text
            self.noticeChanged.emit()
