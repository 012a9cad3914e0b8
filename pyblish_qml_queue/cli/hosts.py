"""``hosts`` and ``host ID ACTION``: see and drive connected hosts from a terminal.

Talks to the running app (or ``serve``) over the same authenticated link the
hosts use, as a peer that registers no host. Exit codes: 0 ok, 1 the action
failed (validation failed, the host disconnected, no app runs), 2 usage error
(unknown host id).
"""

from __future__ import annotations

import json
import sys

from pyblish_qml_queue.cli.command import FAILED, OK, USAGE, CliError
from pyblish_qml_queue.common import wire
from pyblish_qml_queue.common.states import HostState
from pyblish_qml_queue.common.wire import client

ACTIONS = ("validate", "publish", "stop", "handoff", "reset")


def add_parsers(subparsers) -> None:
    hosts = subparsers.add_parser(
        "hosts",
        help="list the hosts connected to the running app",
        description="List every host the running app or serve knows, with state and progress.",
    )
    hosts.add_argument("--json", action="store_true", help="print JSON instead of a table")
    hosts.set_defaults(func=run_hosts)

    host = subparsers.add_parser(
        "host",
        help="drive one host: validate, publish, stop, handoff or reset",
        description="Drive a connected host from a terminal or a script. validate, publish "
        "and handoff wait until done; exit 1 when they fail.",
    )
    host.add_argument(
        "id",
        help="host id, a unique start of one, the host's pid, or its application "
        "(maya, houdini, ...) when one such host is connected",
    )
    host.add_argument("action", choices=ACTIONS)
    host.add_argument("--title", help="job title (handoff)")
    host.add_argument("--no-wait", action="store_true", help="return once the host started")
    host.add_argument("--json", action="store_true", help="print the host as JSON")
    host.set_defaults(func=run_host)


class _UnknownHost(CliError):
    """The hub knows no host by that id, id prefix or pid (``unknown_host``)."""


def _call(method: str, params: dict):
    try:
        return client.request(method, params, name="cli")
    except client.KeyRefused:
        raise CliError(
            "the app refused our authkey; restart the app so it writes a fresh one", FAILED
        )
    except client.NotRunning:
        raise CliError(
            "no pyblish-qml-queue app or serve is running; start one with "
            "'pyblish-qml-queue serve' or call show() in a host",
            FAILED,
        )
    except wire.RemoteError as error:  # told apart by code (docs/protocol.md)
        if error.code == wire.UNKNOWN_HOST:
            raise _UnknownHost(str(error), USAGE)
        raise CliError(str(error), FAILED)
    except wire.ConnectionLost:
        raise CliError("the app went away before it answered; is it still running?", FAILED)


def run_hosts(args) -> int:
    hosts = _call("hosts", {})
    if args.json:
        json.dump(hosts, sys.stdout, indent=2)
        sys.stdout.write("\n")
        return OK
    if not hosts:
        print("no hosts connected")
        return OK
    print(f"{'ID':32} {'APPLICATION':14} {'PID':>7} {'STATE':12} {'PROGRESS':>9} ERRORS  SCENE")
    for host in hosts:
        progress = f"{host['progress']['done']}/{host['progress']['total']}"
        app = f"{host['application']} {host['version']}".strip()
        print(
            f"{host['id'][:32]:32} {app[:14]:14} {host['pid']:>7} {state_word(host):12} "
            f"{progress:>9} {host['errors']:>6}  {host['scene']}"
        )
    return OK


def state_word(host: dict) -> str:
    """The host's state as its Publish page names it: "validated" or "validation
    failed" where the hub's state alone says "connected" or "failed"."""
    state = host["state"]
    if state == HostState.CONNECTED and host.get("validated"):
        return "validated"
    if state == HostState.FAILED and host.get("stage") not in ("extract", "integrate"):
        return "validation failed"
    return state


def find_host(name: str) -> str:
    """The id of the one connected host whose application is ``name`` (``maya``),
    for a ``name`` that is no host's id, id prefix or pid.

    Raises:
        CliError: no host or several have that application (exit 2).
    """
    hosts = _call("hosts", {})
    same = [h for h in hosts if str(h.get("application", "")).lower() == name.lower()]
    connected = [h for h in same if h.get("connected")]
    if len(connected) == 1:
        return connected[0]["id"]
    if connected:
        pids = ", ".join(str(h["pid"]) for h in connected)
        raise CliError(
            f"{len(connected)} {name} hosts are connected (pids {pids}); name one by its pid "
            "or id (see 'pyblish-qml-queue hosts')",
            USAGE,
        )
    if same:
        raise CliError(
            f"no {name} host is connected ({len(same)} disconnected); call show() in that "
            "session to reconnect it",
            USAGE,
        )
    raise CliError(
        f"no host {name!r}: give a host id, pid or application (see 'pyblish-qml-queue hosts')",
        USAGE,
    )


def run_host(args) -> int:
    params = {"id": args.id, "action": args.action, "wait": not args.no_wait}
    if args.title:
        params["title"] = args.title
    try:
        reply = _call("drive", params)
    except _UnknownHost:  # an application's name, perhaps
        params["id"] = find_host(args.id)
        reply = _call("drive", params)
    host = reply["host"]
    if args.json:
        json.dump(reply, sys.stdout, indent=2)
        sys.stdout.write("\n")
    elif args.action == "handoff":
        print(reply.get("job_id"))
    else:
        done, total = host["progress"]["done"], host["progress"]["total"]
        print(f"{host['id']}: {state_word(host)} ({done}/{total}, {host['errors']} error(s))")
    if args.no_wait or args.action == "stop":
        return OK
    if args.action == "validate":
        return OK if host["validated"] else FAILED
    if args.action == "publish":
        return OK if host["state"] == HostState.FINISHED else FAILED
    return OK
