"""Qt's item data roles as plain ints, for the list models.

The first read of ``PySide6.QtCore.Qt`` builds that whole namespace's Python enums (about
15 ms, on the way to the app's first frame); the models need two of its numbers only.
``tests/gui/test_gui_models.py`` checks them against Qt's.
"""

#: ``Qt.ItemDataRole.DisplayRole``
DISPLAY_ROLE = 0
#: ``Qt.ItemDataRole.UserRole``: the first role id free for an application's roles.
USER_ROLE = 0x0100
