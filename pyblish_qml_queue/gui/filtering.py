"""Change a proxy's filter the way the running Qt wants it."""

from __future__ import annotations

from PySide6.QtCore import QSortFilterProxyModel


def refilter(proxy: QSortFilterProxyModel, change) -> None:
    """Run ``change()`` (which alters what ``filterAcceptsRow`` accepts) and re-filter rows.

    Qt 6.10 replaced ``invalidateFilter()`` with ``beginFilterChange()`` /
    ``endFilterChange()``; older Qt 6 only has the former.
    """
    if hasattr(proxy, "beginFilterChange"):
        proxy.beginFilterChange()
        change()
        proxy.endFilterChange(QSortFilterProxyModel.Direction.Rows)
    else:
        change()
        proxy.invalidateFilter()


def set_filter(proxy: QSortFilterProxyModel, attr: str, value) -> bool:
    """Set the filter value ``proxy.<attr>`` and re-filter; False when it was ``value``."""
    if getattr(proxy, attr) == value:
        return False
    refilter(proxy, lambda: setattr(proxy, attr, value))
    return True
