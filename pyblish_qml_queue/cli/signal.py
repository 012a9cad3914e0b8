"""``pyblish-qml-queue signal``: tell a job waiting for a farm how its farm job ended.

Without ``--url`` the signal goes into this user's store directly, and needs no
secret: being able to write the store is the permission, so it is signed with the
secret stored with the job (a ``--secret`` or ``PYBLISH_QML_QUEUE_JOB_SECRET`` given
is used instead, and checked); the job may be named by a unique prefix. With
``--url`` it is POSTed to a running app's or ``serve --signals`` endpoint and the
secret is required. Either way it is verified as
:mod:`pyblish_qml_queue.farm.signals` describes.

Exit codes: 0 applied, or already applied (the same signal again changes nothing,
so a farm may safely repeat it); 1 refused (the reason is on stderr) or the endpoint
could not be reached; 2 usage error (no secret with ``--url``, an unknown job
without it, bad arguments).
"""

from __future__ import annotations

import json
import logging
import os

from pyblish_qml_queue.cli.command import FAILED, OK, USAGE, CliError
from pyblish_qml_queue.common.farmwait import SECRET_VAR
from pyblish_qml_queue.queue import model

log = logging.getLogger(__name__)


def add_parsers(subparsers) -> None:
    p = subparsers.add_parser(
        "signal",
        help="resume or fail a job waiting for a render farm",
        description="Send a farm signal for one waiting step. Exit 0 when applied or already "
        "applied, 1 when refused, 2 on a usage error.",
    )
    p.add_argument(
        "--job", required=True, help="the job id (whole with --url; else a unique prefix)"
    )
    p.add_argument("--plugin", required=True, help="the waiting step's plugin class name")
    p.add_argument(
        "--instance", required=True, help="the waiting step's instance name ('' for context)"
    )
    p.add_argument("--status", required=True, choices=model.SIGNAL_STATUSES)
    p.add_argument("--message", default="", help="what the farm says, shown with the job")
    p.add_argument(
        "--secret",
        help=f"the job's secret (default: environment variable {SECRET_VAR}; without --url, "
        "the secret stored with the job)",
    )
    p.add_argument(
        "--url",
        help="POST to this endpoint (http://host:port) instead of writing to the local store",
    )
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for --url")
    p.add_argument("--json", action="store_true", help="print the answer as JSON")
    p.set_defaults(func=send)


def send(args) -> int:
    from pyblish_qml_queue.farm.signals import make_signal

    secret = args.secret or os.environ.get(SECRET_VAR)
    if args.url:
        if not secret:
            raise CliError(
                f"no secret: pass --secret or set {SECRET_VAR} (the farm job gets it from the "
                "job's worker; without --url the local store's secret is used)",
                USAGE,
            )
        body = make_signal(
            args.job, args.plugin, args.instance, args.status, secret, message=args.message
        )
        answer = _post(args, body)
    else:
        answer = _apply_locally(args, secret)
    if not answer.get("ok"):  # under --json, main() prints the error with its reason
        reason = answer.get("reason") or "refused"
        raise CliError(
            f"signal refused ({reason}): {answer.get('error')}", FAILED, {"reason": reason}
        )
    if args.json:
        print(json.dumps(answer, indent=2))
    else:
        print(f"job {args.job[:8]}: {answer.get('message')}")
    return OK


def _apply_locally(args, secret) -> dict:
    """Sign with ``secret``, else the one stored with the job, and apply to the store.

    Raises:
        JobNotFound: no such job (the CLI's usage error).
    """
    from pyblish_qml_queue.cli.command import open_store
    from pyblish_qml_queue.cli.jobs import stored_id
    from pyblish_qml_queue.farm.signals import SignalReceiver, SignalRefused, make_signal

    store = open_store()
    try:
        job = store.get(stored_id(store, args.job))
        args.job = job.id
        body = make_signal(
            job.id,
            args.plugin,
            args.instance,
            args.status,
            secret or job.secret,
            message=args.message,
        )
        return SignalReceiver(store).apply(body)
    except SignalRefused as exc:
        return {"ok": False, "reason": exc.reason, "error": str(exc)}
    finally:
        store.close()


def _post(args, body: dict) -> dict:
    from pyblish_qml_queue.farm.http import post_signal

    try:
        _status, answer = post_signal(args.url, body, timeout=args.timeout)
    except OSError as exc:
        log.info("could not POST the signal to %s", args.url, exc_info=True)
        reason = getattr(exc, "reason", None) or exc
        raise CliError(
            f"could not reach {args.url}: {reason}; is the app or 'serve --signals' running there?",
            FAILED,
        )
    return answer
