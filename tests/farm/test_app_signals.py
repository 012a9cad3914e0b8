"""The app's farm-signal endpoint: off by default, on by setting or argument, closed at quit."""

import json
import logging
import socket
import urllib.error
import urllib.request

import gui_support
import pytest

from pyblish_qml_queue.common import settings
from pyblish_qml_queue.gui.app import shut_down
from pyblish_qml_queue.queue.memory import MemoryJobStore

make_gui = gui_support.make_gui  # a shared fixture


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _post(port, body=b"{not json"):
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/v1/signal",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_the_signals_setting_opens_the_endpoint_and_quitting_closes_it(home, make_gui):
    port = _free_port()
    settings.save({"signals": f"127.0.0.1:{port}"})
    session, _root = make_gui(MemoryJobStore())

    status, answer = _post(port)
    assert status == 400 and answer["reason"] == "bad_json"

    shut_down(session.parent())
    with pytest.raises(urllib.error.URLError):
        _post(port)


def test_signals_are_off_by_default(home, make_gui):
    port = _free_port()
    make_gui(MemoryJobStore())
    with pytest.raises(urllib.error.URLError):
        _post(port)


def test_an_address_that_cannot_be_used_leaves_the_app_running_and_says_why(home, make_gui, caplog):
    with caplog.at_level(logging.WARNING, logger="pyblish_qml_queue.gui.app"):
        session, root = make_gui(MemoryJobStore(), signals="not-an-address")
    assert root is not None
    assert "Farm signals are off: cannot listen at not-an-address" in caplog.text
