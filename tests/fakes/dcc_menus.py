"""The menu parts of Maya's and Nuke's APIs, added at run time to the fakes beside this file
(tests/fakes/maya, tests/fakes/nuke.py, which model scenes, not menus), for the start-up
snippet tests (tests/assets/test_startup_snippets.py). Import this after the fake.

Maya (Maya Python commands reference):

- ``cmds.menu(name=None, label=, parent=, tearOff=)`` creates a menu and returns its
  name; ``cmds.menu(name, exists=True)`` asks whether it exists; a menu created with the
  name of an existing one is an error ("Object's name is not unique"), as in Maya.
- ``cmds.menuItem(label=, command=, annotation=, parent=)`` (parent: the last menu made
  when omitted), ``cmds.deleteUI(name)``.
- ``utils.executeDeferred(callable)`` runs it when Maya is next idle: here when the test
  calls :func:`maya_idle`.

Nuke (Nuke Python API reference): ``nuke.menu(name)`` is a Menu ("Nuke" the menu bar);
``Menu.addCommand(name, command=None, shortcut=None, icon=None, ...)`` where a ``/`` in
the name makes sub-menus; a command is a callable or a string of Python. Adding an item
of the same name again replaces it, as in Nuke.
"""

import sys

#: Maya: {menu name: {"label", "parent", "items": [{"label", "command", ...}]}}
maya_menus = {}
_deferred = []


def _maya_menu(name=None, **flags):
    if flags.pop("exists", False):
        return name in maya_menus
    if not name:
        name = f"menu{len(maya_menus) + 1}"
    if name in maya_menus:
        raise RuntimeError(f"Object's name '{name}' is not unique.")
    maya_menus[name] = dict(flags, items=[])
    maya_menus["__last__"] = name
    return name


def _maya_menu_item(**flags):
    parent = flags.pop("parent", None) or maya_menus.get("__last__")
    if parent not in maya_menus:
        raise RuntimeError("menuItem: no parent menu")
    maya_menus[parent]["items"].append(flags)
    return f"{parent}|menuItem{len(maya_menus[parent]['items'])}"


def _maya_delete_ui(*names):
    for name in names:
        if name not in maya_menus:
            raise RuntimeError(f"Object '{name}' not found.")
        del maya_menus[name]


def _execute_deferred(call, *args):
    _deferred.append((call, args))


def install_maya():
    """Add the menu commands and ``executeDeferred`` to the fake ``maya``."""
    from maya import cmds, utils

    cmds.menu = _maya_menu
    cmds.menuItem = _maya_menu_item
    cmds.deleteUI = _maya_delete_ui
    utils.executeDeferred = _execute_deferred


def maya_idle():
    """Maya goes idle: run what was deferred."""
    while _deferred:
        call, args = _deferred.pop(0)
        call(*args)


def menus():
    """The Maya menus, without the bookkeeping."""
    return {k: v for k, v in maya_menus.items() if k != "__last__"}


class NukeMenu:
    def __init__(self, name):
        self._name = name
        self.items = []  # [(name, command)] and sub-menus

    def name(self):
        return self._name

    def findItem(self, name):
        for item in self.items:
            if item.name() == name:
                return item
        return None

    def addMenu(self, name, **kwargs):
        found = self.findItem(name)
        if isinstance(found, NukeMenu):
            return found
        menu = NukeMenu(name)
        self.items.append(menu)
        return menu

    def addCommand(self, name, command=None, shortcut=None, icon=None, **kwargs):
        head, _, rest = name.partition("/")
        if rest:
            return self.addMenu(head).addCommand(rest, command, shortcut, icon, **kwargs)
        self.items = [i for i in self.items if i.name() != name]
        item = NukeCommand(name, command)
        self.items.append(item)
        return item


class NukeCommand:
    def __init__(self, name, command):
        self._name = name
        self.command = command

    def name(self):
        return self._name

    def invoke(self):
        if callable(self.command):
            return self.command()
        exec(self.command, {"__name__": "__main__"})


nuke_menus = {}


def install_nuke():
    """Add ``menu(name)`` to the fake ``nuke``."""
    nuke = sys.modules["nuke"]

    def menu(name):
        return nuke_menus.setdefault(name, NukeMenu(name))

    nuke.menu = menu
