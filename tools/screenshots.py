"""Render the Overview, Queue and Publish pages offscreen into docs/screenshots/*.png.

Usage: python tools/screenshots.py [output folder]

Overview and Queue: made-up but realistic data (a stand-in hub with five hosts
in the states the wireframes show, a store with 30 jobs in every state).
Publish (publish-*.png): real host processes, a real hub, executor and store.
"""

import os
import sys
import time

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.setdefault("QT_QUICK_BACKEND", "software")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pyblish_qml_queue.gui import sample  # noqa: E402
from pyblish_qml_queue.gui.app import build_app, session_of, shut_down  # noqa: E402
from pyblish_qml_queue.queue import model  # noqa: E402
from pyblish_qml_queue.queue.memory import MemoryJobStore  # noqa: E402


def render(app, session, root, path):
    for _ in range(5):
        session.bridge.drain()
        app.processEvents()
    image = root.grabWindow()
    image.save(path)
    print(f"wrote {path} ({image.width()}x{image.height()})")


def main(argv):
    out = argv[1] if len(argv) > 1 else os.path.join(ROOT, "docs", "screenshots")
    os.makedirs(out, exist_ok=True)
    store = MemoryJobStore()
    sample.fill_store(store, 30)
    hosts = sample.sample_hosts()
    waiting = store.jobs(state=model.WAITING)
    for host in hosts:  # the handed-off host's card shows a job of the store
        if host.get("job_id") and waiting:
            host["job_id"] = waiting[0].id
    hub = sample.SampleHub(hosts)
    executor = sample.SampleExecutor(store)
    app, engine, root = build_app(["screenshots"], store=store, hub=hub, executor=executor)
    session = session_of(engine)
    root.resize(1100, 720)

    session.app.showOverview()
    render(app, session, root, os.path.join(out, "overview.png"))

    running = next(r for r in session.jobs.rows() if r["state"] == model.RUNNING)
    session.app.showQueue()
    session.queue.select(running["jobId"])
    job = store.get(running["jobId"])
    step = next(s for s in job.steps if s.state == model.STEP_RUNNING)
    for n, frame in enumerate((1044, 1064, 1088)):
        event = {
            "job_id": job.id,
            "event": "progress",
            "index": step.index,
            "fraction": 0.3 + n * 0.2,
            "message": f"{step.instance} frame {frame} / 1120",
        }
        session.bridge.push_job(event)
        session.bridge.drain()
        time.sleep(0.01)
    render(app, session, root, os.path.join(out, "queue.png"))

    # A failed job: its error in Steps, its traceback and worker output in the Log.
    failed = next(r for r in session.jobs.rows() if r["state"] == model.FAILED)
    session.queue.select(failed["jobId"])
    render(app, session, root, os.path.join(out, "queue-failed.png"))
    # The same at the smallest size the window allows.
    root.resize(root.minimumWidth(), root.minimumHeight())
    render(app, session, root, os.path.join(out, "queue-minimum.png"))
    root.resize(1100, 720)

    shut_down(engine)
    root.close()
    publish_shots(app, out)
    return 0


def publish_shots(app, out):
    """The Publish page in each state, driven against REAL host processes.

    Two plain-Python hosts with the studio plugins of tests/publish_hosts.py
    connect to a real hub; a real executor runs the handed-off job on a real
    SQLite store, all in a throw-away PYBLISH_QML_QUEUE_HOME.
    """
    import tempfile

    from PySide6.QtCore import QObject, QPoint, Qt
    from PySide6.QtTest import QTest

    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from host_fixtures import stop
    from publish_hosts import start_studio_host

    from pyblish_qml_queue.queue.sqlite.store import SQLiteJobStore

    tmp = tempfile.mkdtemp(prefix="pqq-shots-")
    os.environ["PYBLISH_QML_QUEUE_HOME"] = os.path.join(tmp, "home")
    store = SQLiteJobStore(os.path.join(tmp, "jobs.db"))
    app, engine, root = build_app(["screenshots"], store=store, spool=False)
    session = session_of(engine)
    page = session.publish
    root.resize(1100, 720)
    root.show()
    procs = []

    def pump(until, timeout=30.0):
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise SystemExit(
                    "screenshots: timed out waiting for the hosts (page: "
                    f"{page.status!r}, state {page.host.get('state')!r}, can {page.can})"
                )
            session.bridge.drain()
            page.drain()
            app.processEvents()
            time.sleep(0.02)

    def host_of(process):
        found = [h for h in session.hub.hosts() if h["pid"] == process.pid]
        ok = found and found[0]["progress"]["done"] == 1 and found[0]["state"] == "connected"
        return found[0] if ok else None

    def open_host(host):
        def opened():
            session.app.openHost(host["id"])
            return page.hostId == host["id"] and len(page.state.instances) == 5

        pump(opened)

    def click(name):
        found = [i for i in _walk(root.contentItem()) if i.objectName() == name]
        target = found[0]
        centre = target.mapToScene(target.boundingRect().center()).toPoint()
        QTest.mouseClick(root, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, centre)
        app.processEvents()

    def shot(name):
        for _ in range(3):
            page.drain()
            session.bridge.drain()
            app.processEvents()
        render(app, session, root, os.path.join(out, name))

    def ids():
        out = {p.get("label") or p["name"]: i for i, p in page.state.plugins.items()}
        out.update({i["name"]: n for n, i in page.state.instances.items()})
        return out

    try:
        maya, maya_out = start_studio_host(os.path.join(tmp, "maya"))
        houdini, _ = start_studio_host(os.path.join(tmp, "houdini"), delay=2.0)
        procs += [maya, houdini]
        pump(lambda: host_of(maya) and host_of(houdini))
        open_host(host_of(maya))
        shot("publish-collected.png")

        page.validate()
        pump(lambda: page.host.get("state") == "failed" and not page.can.get("stop"))
        page.openDetail(ids()["Validate Normals Unlocked"])
        shot("publish-detail.png")
        page.closeDetail()
        shot("publish-validation-failed.png")
        click("publishActions:" + ids()["Validate Normals Unlocked"])
        shot("publish-actions.png")
        menu = root.findChild(QObject, "pluginActionMenu")
        menu.close()

        page.setTab("terminal")
        shot("publish-terminal.png")
        page.setTab("items")

        page.act(ids()["Validate Normals Unlocked"], _action_id(page, "Unlock normals"))
        pump(lambda: os.path.exists(os.path.join(maya_out, "normals-unlocked")))
        page.setComment("fixed the sword's normals")
        page.validate()
        pump(lambda: page.host.get("validated") and page.can.get("handoff"))
        button = [i for i in _walk(root.contentItem()) if i.objectName() == "publishButton:handoff"]
        centre = button[0].mapToScene(button[0].boundingRect().center()).toPoint()
        QTest.mouseMove(root, QPoint(centre.x(), centre.y()))
        until = time.monotonic() + 0.8  # tips show after a hover of 500 ms
        while time.monotonic() < until:
            app.processEvents()
            time.sleep(0.02)
        shot("publish-validated.png")
        QTest.mouseMove(root, QPoint(10, 300))

        open_host(
            host_of(houdini) or [h for h in session.hub.hosts() if h["pid"] == houdini.pid][0]
        )
        page.toggle(ids()["PROP_sword"], False)
        page.publish()
        pump(lambda: page.host.get("state") == "extracting")
        shot("publish-extracting.png")

        maya_id = [h["id"] for h in session.hub.hosts() if h["pid"] == maya.pid][0]
        session.app.openHost(maya_id)
        pump(lambda: page.hostId == maya_id)
        page.publishInBackground()
        pump(lambda: page.host.get("state") == "handed off" and not page.handingOff)
        shot("publish-handed-off.png")
    finally:
        shut_down(engine)
        for process in procs:
            stop(process)
        store.close()


def _walk(item):
    stack = [item]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(current.childItems())


def _action_id(page, label):
    for plugin in page.state.plugins.values():
        for action in plugin.get("actions") or ():
            if action.get("label") == label:
                return action["id"]
    raise SystemExit(f"screenshots: no action {label!r}")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
