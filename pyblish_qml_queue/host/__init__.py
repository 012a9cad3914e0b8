"""The host side: runs inside Maya, Houdini, Nuke or plain Python.

Standard library and pyblish-base only (pyblish_qml's settings and api where
present), Python 3.7 syntax, importable with no Qt binding installed.
"""
