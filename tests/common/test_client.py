"""The one-shot client (common/wire/client.py): connect, ask one thing, close."""

import os

import pytest

from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.wire import client
from pyblish_qml_queue.hub.hub import Hub


@pytest.fixture
def hub(home):
    running = Hub()
    running.start()
    yield running
    running.close()


def test_a_request_without_a_running_app_raises_not_running(home):
    with pytest.raises(client.NotRunning):
        client.request("ping")


def test_not_running_is_a_lost_connection_so_one_except_catches_both(home):
    assert issubclass(client.NotRunning, wire.ConnectionLost)
    assert issubclass(client.KeyRefused, wire.ConnectionLost)


def test_a_request_gets_the_running_apps_answer(hub):
    assert client.request("ping", timeout=5) == {"pong": True, "protocol": wire.PROTOCOL_VERSION}


def test_a_client_makes_several_requests_over_one_link_and_closes_it(hub):
    with client.Client("test") as link:
        assert link.request("hosts", {}, timeout=5) == []
        assert link.request("ping", timeout=5)["pong"] is True
        peer = link.peer
    assert peer.closed


def test_a_wrong_authkey_raises_key_refused(hub):
    with open(wire.authkey_file(), "wb") as f:
        f.write(b"0" * 64)
    os.chmod(wire.authkey_file(), 0o600)
    with pytest.raises(client.KeyRefused):
        client.request("ping", timeout=5)


def test_an_unknown_host_is_told_apart_by_its_code_not_its_message(hub):
    with pytest.raises(wire.RemoteError) as caught:
        client.request("host", {"id": "nosuchhost"}, timeout=5)
    assert caught.value.code == wire.UNKNOWN_HOST


def test_a_method_the_app_does_not_serve_answers_unknown_method(hub):
    with pytest.raises(wire.RemoteError) as caught:
        client.request("process", {"plugin": "x"}, timeout=5)
    assert caught.value.code == wire.UNKNOWN_METHOD
