"""The Publish page's own side: its rows, Terminal filters, detail pane, tab and notice.

:class:`PublishPage` shows a :class:`~pyblish_qml_queue.gui.publish.state.PageState`
through the Qt models of :mod:`pyblish_qml_queue.gui.publish.models`, and keeps
what the user changes on the page alone (folded sections, the tab, the
Terminal's filters, the open detail). It is no QObject and emits nothing: the
``Publish`` viewmodel (:mod:`pyblish_qml_queue.gui.publish.view`) has one, hands
QML its models and values, and tells QML what changed from what these methods
return.
"""

from __future__ import annotations

import logging

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


class PublishPage:
    """Instances, plugins, Terminal and detail of one :class:`PageState`.

    Args:
        parent: the QObject its Qt models belong to (the viewmodel).

    Attributes:
        state: the :class:`PageState` shown.
        detail_id: the item whose detail is open, "" for none; ``detail`` its pane.
        tab: "items" or "terminal".
        notice: the outcome of the page's last button when it went wrong (one line).
    """

    def __init__(self, parent):
        self.instance_model = ItemListModel(parent)
        self.plugin_model = ItemListModel(parent)
        self.record_model = RecordModel(parent)
        self.record_proxy = RecordFilterProxy(self.record_model, parent)
        self.state = PageState(EMPTY_ITEMS, settings=publishrules.app_settings())
        self._sent = 0  # records handed to the record model
        self.detail_id = ""
        self.detail: dict = {}
        self.tab = "items"
        self.notice = ""

    def levels(self) -> dict:
        """The Terminal's level toggles: {level: on}."""
        on = self.record_proxy.levels
        return {name: name in on for name in LEVELS}

    # -- what the user changes (True: a value QML shows changed) ---------------------------

    def toggle_section(self, section_id: str) -> None:
        collapsed = self.state.collapsed
        if section_id in collapsed:
            collapsed.discard(section_id)
        else:
            collapsed.add(section_id)
        self.set_all_rows()

    def open_detail(self, item_id: str) -> bool:
        try:
            detail = self.state.detail(item_id)
        except KeyError:
            return False
        self.detail_id, self.detail = item_id, detail
        return True

    def close_detail(self) -> bool:
        if not self.detail_id:
            return False
        self.detail_id, self.detail = "", {}
        return True

    def set_tab(self, tab: str) -> bool:
        if tab not in ("items", "terminal") or tab == self.tab:
            return False
        self.tab = tab
        return True

    def set_notice(self, text: str) -> bool:
        if text == self.notice:
            return False
        self.notice = text
        return True

    # -- showing the state -------------------------------------------------------------------

    def show_state(self, state: PageState) -> None:
        """Show ``state`` from scratch: every row and record; the detail closes
        (the caller says so, and clears the notice)."""
        self.state = state
        self.set_all_rows()
        self.record_model.set_records(state.records)
        self._sent = len(state.records)
        self.detail_id, self.detail = "", {}

    def show_new_records(self) -> None:
        records = self.state.records
        if len(records) > self._sent:
            self.record_model.append(records[self._sent :])
            self._sent = len(records)

    def set_all_rows(self) -> None:
        self.instance_model.set_rows(self.state.instance_rows())
        self.plugin_model.set_rows(self.state.plugin_rows())

    def update_rows(self, ids) -> None:
        if not ids:
            return
        row = self.state.row
        self.instance_model.update(ids, row)
        self.plugin_model.update(ids, row)
