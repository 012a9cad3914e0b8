"""Render the Overview and Queue pages offscreen into docs/screenshots/*.png.

Usage: python tools/screenshots.py [output folder]

The data is made up but realistic: a stand-in hub with five hosts in the states
the wireframes show, and a store with 30 jobs in every state.
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
    hub = sample.SampleHub(sample.sample_hosts())
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

    session.app.openHost("h-maya")
    render(app, session, root, os.path.join(out, "host.png"))
    shut_down(engine)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
