"""The wire protocol: schema checks, error replies, fuzzing (10,000+ cases), auth."""

import json
from multiprocessing import AuthenticationError
from multiprocessing.connection import Client

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.wire.peer import answer_frame
from pyblish_qml_queue.hub.hub import Hub


def _req(method, params=None, msg_id=1):
    return wire.encode(wire.request(msg_id, method, params))


def _decode_error(data):
    with pytest.raises(wire.ProtocolError) as caught:
        wire.parse_frame(data, wire.APP_METHODS)
    return caught.value.code


# -- the schema ----------------------------------------------------------------------


def test_a_request_survives_encode_and_decode():
    msg = wire.request(3, "drive", {"id": "h1", "action": "publish", "wait": True})
    kind, decoded, params = wire.parse_frame(wire.encode(msg), wire.APP_METHODS)
    assert (kind, decoded, params) == ("request", msg, msg["params"])


def test_non_json_is_a_parse_error():
    assert _decode_error(b"\x80not json") == wire.PARSE_ERROR
    assert _decode_error(b"[1, 2]") == wire.PARSE_ERROR
    assert _decode_error(b'{"protocol": NaN}') == wire.PARSE_ERROR


def test_another_protocol_version_is_refused_by_name():
    data = json.dumps({"protocol": 2, "kind": "request", "id": 1, "method": "ping"}).encode()
    assert _decode_error(data) == wire.UNSUPPORTED_VERSION


def test_unknown_methods_and_fields_are_refused():
    assert _decode_error(_req("os.system", {"cmd": "ls"})) == wire.UNKNOWN_METHOD
    assert _decode_error(_req("__init__")) == wire.UNKNOWN_METHOD
    extra = dict(wire.request(1, "ping"), pickle="x")
    assert _decode_error(json.dumps(extra).encode()) == wire.INVALID_MESSAGE


def test_params_are_checked_per_method():
    assert _decode_error(_req("host", {"id": 5})) == wire.INVALID_PARAMS
    assert _decode_error(_req("host", {})) == wire.INVALID_PARAMS
    assert _decode_error(_req("host", {"id": "a", "x": 1})) == wire.INVALID_PARAMS
    assert _decode_error(_req("drive", {"id": "a", "action": "go", "wait": 1})) == (
        wire.INVALID_PARAMS
    )


def test_a_boolean_is_not_an_integer_id():
    data = json.dumps({"protocol": 1, "kind": "request", "id": True, "method": "ping"}).encode()
    assert _decode_error(data) == wire.INVALID_MESSAGE


def test_a_message_above_the_frame_cap_is_not_sent():
    with pytest.raises(wire.ProtocolError) as caught:
        wire.encode(wire.request(1, "submit", {"job": {"x": "a" * wire.MAX_FRAME}}))
    assert caught.value.code == wire.TOO_LARGE


# -- the dispatcher --------------------------------------------------------------------------


class _ClosedPeer:
    closed = True

    def request(self, method, params=None, timeout=None):
        raise wire.ConnectionLost("closed")

    def close(self):
        pass


@pytest.fixture(scope="module")
def dispatcher():
    hub = Hub(on_job=lambda payload: "job")
    yield hub.dispatcher(_ClosedPeer())
    hub.close()


def _reply(data, dispatcher):
    out = answer_frame(data, dispatcher, dispatcher.methods)
    return None if out is None else json.loads(out)


def test_dispatcher_answers_errors_as_replies(dispatcher):
    assert _reply(b"garbage", dispatcher)["error"]["code"] == wire.PARSE_ERROR
    reply = _reply(_req("nope", msg_id=9), dispatcher)
    assert (reply["id"], reply["error"]["code"]) == (9, wire.UNKNOWN_METHOD)
    reply = _reply(_req("show", msg_id=4), dispatcher)  # before register
    assert reply["error"]["code"] == wire.NOT_ALLOWED
    assert _reply(_req("ping", msg_id=5), dispatcher)["result"]["pong"] is True


# -- fuzzing ---------------------------------------------------------------------------------

_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
_methods = st.sampled_from(sorted(wire.APP_METHODS) + ["nope", "__class__", "os.system"])
_messages = st.fixed_dictionaries(
    {},
    optional={
        "protocol": st.sampled_from([1, 1, 1, 2, "1", None]),
        "kind": st.sampled_from(["request", "request", "event", "response", "x"]),
        "id": st.one_of(st.integers(-5, 5), st.none(), st.text(max_size=3), st.booleans()),
        "method": _methods,
        "params": st.one_of(
            st.dictionaries(
                st.sampled_from(["id", "action", "host", "job", "wait", "title", "targets", "z"]),
                _json,
                max_size=4,
            ),
            _json,
        ),
        "result": _json,
        "error": _json,
    },
)
_frames = st.one_of(
    st.binary(max_size=200),
    _messages.map(lambda m: json.dumps(m).encode()),
    _json.map(lambda v: json.dumps(v).encode()),
)


@settings(max_examples=4000, deadline=None)
@given(st.binary(max_size=300) | _frames)
def test_fuzz_decoder_raises_only_protocol_errors(data):
    try:
        kind, msg, params = wire.parse_frame(data, wire.APP_METHODS)
    except wire.ProtocolError as error:
        assert error.code in (
            wire.PARSE_ERROR,
            wire.INVALID_MESSAGE,
            wire.INVALID_PARAMS,
            wire.UNKNOWN_METHOD,
            wire.UNSUPPORTED_VERSION,
        )
        return
    assert kind in ("request", "event", "response")
    if kind == "request":
        assert msg["method"] in wire.APP_METHODS


@settings(
    max_examples=4000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_frames)
def test_fuzz_dispatcher_always_answers_a_request(dispatcher, data):
    reply = _reply(data, dispatcher)
    if reply is None:
        return
    kind, decoded, _ = wire.parse_frame(json.dumps(reply).encode(), wire.APP_METHODS)
    assert kind == "response"
    if "error" in reply:
        assert reply["error"]["code"] != wire.INTERNAL, reply


# -- over a real connection -------------------------------------------------------------------


@pytest.fixture
def served(home):
    hub = Hub(on_job=lambda payload: "job")
    hub.start()
    conn = Client(hub.address, family=hub._listener.family, authkey=wire.read_authkey())
    yield hub, conn
    conn.close()
    hub.close()


def _ask(conn, data, ping_id):
    """Send ``data`` then a ping; return the replies that came before the ping's."""
    conn.send_bytes(data)
    conn.send_bytes(_req("ping", msg_id=ping_id))
    replies = []
    while True:
        assert conn.poll(10), "the hub stopped answering"
        reply = json.loads(conn.recv_bytes())
        if reply.get("kind") == "request":  # a fuzzed register made us a host: refuse
            error = {"code": wire.NOT_ALLOWED, "message": "not a host"}
            conn.send_bytes(wire.encode(wire.response(reply["id"], error=error)))
            continue
        if reply.get("id") == ping_id and "result" in reply:
            return replies
        if reply.get("method") != "heartbeat":
            replies.append(reply)


def test_bad_frames_get_error_replies_and_the_link_lives(served):
    hub, conn = served
    (reply,) = _ask(conn, b"not json", 1000)
    assert reply["error"]["code"] == wire.PARSE_ERROR
    (reply,) = _ask(conn, _req("nope", msg_id=7), 1001)
    assert (reply["id"], reply["error"]["code"]) == (7, wire.UNKNOWN_METHOD)
    (reply,) = _ask(conn, _req("host", {"id": 3}, msg_id=8), 1002)
    assert reply["error"]["code"] == wire.INVALID_PARAMS


def test_an_oversized_frame_gets_an_error_reply_and_the_link_lives(served):
    hub, conn = served
    big = b"x" * (wire.MAX_FRAME + 1)
    (reply,) = _ask(conn, big, 2000)
    assert reply["error"]["code"] == wire.TOO_LARGE


def test_a_wrong_authkey_is_refused_and_the_listener_lives(served):
    hub, conn = served
    with pytest.raises(AuthenticationError):
        Client(hub.address, family=hub._listener.family, authkey=b"wrong key")
    wait = 0
    while hub.refused == 0 and wait < 500:
        wait += 1
        conn.poll(0.01)
    assert hub.refused == 1
    other = Client(hub.address, family=hub._listener.family, authkey=wire.read_authkey())
    try:
        assert _ask(other, _req("hosts", msg_id=1), 3000)[0]["result"] == []
    finally:
        other.close()


@settings(
    max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(_frames)
def test_fuzz_the_hub_over_the_wire_and_it_still_answers(served, data):
    hub, conn = served
    for reply in _ask(conn, data, 99999):
        assert reply["kind"] in ("response", "event")
