"""A Qt list model over plain dicts, the base of the pages' row models.

Each row is a dict; each QML role reads one key of it (by default the role's
own name). Subclasses say which roles they have and which key the display role
shows, and change rows through :meth:`RowListModel.replace_row`, which notifies
only the roles whose value changed.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractListModel, QByteArray, QModelIndex

from pyblish_qml_queue.gui.roles import DISPLAY_ROLE, USER_ROLE


def role_ids(names) -> dict:
    """Role name -> Qt role id, in order, from ``Qt.UserRole + 1``."""
    return {name: USER_ROLE + 1 + n for n, name in enumerate(names)}


class RowListModel(QAbstractListModel):
    """Rows are dicts; a role shows the row's value under its key."""

    #: Role names, in order.
    ROLES: list = []
    #: Role name -> row key, where they differ.
    KEYS: dict = {}
    #: The row key shown as Qt's display role.
    DISPLAY = ""

    def __init__(self, parent=None):
        super().__init__(parent)
        self._rows: list = []
        self._ids = role_ids(self.ROLES)
        self._role_keys = {role: self.KEYS.get(name, name) for name, role in self._ids.items()}

    # -- Qt interface ----------------------------------------------------------

    def rowCount(self, parent=QModelIndex()):  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def data(self, index, role=DISPLAY_ROLE):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == DISPLAY_ROLE:
            return row.get(self.DISPLAY)
        key = self._role_keys.get(role)
        return row.get(key) if key else None

    def roleNames(self):
        return {role: QByteArray(name.encode()) for name, role in self._ids.items()}

    # -- reading ---------------------------------------------------------------

    def rows(self) -> list:
        """The rows themselves (do not change them)."""
        return self._rows

    def role(self, name: str) -> int:
        return self._ids[name]

    # -- changing --------------------------------------------------------------

    def replace_row(self, n: int, new: dict) -> list:
        """Put ``new`` at row ``n``; notify the roles whose value changed (returned)."""
        old = self._rows[n]
        roles = [role for role, key in self._role_keys.items() if old.get(key) != new.get(key)]
        self._rows[n] = new
        if roles:
            self.notify_row(n, roles)
        return roles

    def notify_row(self, n: int, roles: list) -> None:
        """Tell views that ``roles`` of row ``n`` changed."""
        index = self.index(n, 0)
        self.dataChanged.emit(index, index, roles)
