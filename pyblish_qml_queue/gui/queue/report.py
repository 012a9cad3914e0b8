"""A job's report: JSON and HTML files written next to the store. No Qt."""

from __future__ import annotations

import html
import json
import logging
import os
import time

from pyblish_qml_queue.common import paths

log = logging.getLogger(__name__)

#: Instance or context data keys naming where a publish writes, first found wins.
OUTPUT_KEYS = ("publishDir", "outputDir", "stagingDir", "output_dir", "publish_dir")


def reports_dir() -> str:
    return os.path.join(paths.home(), "reports")


def report_path(job_id: str) -> str:
    """Where :func:`write_report` writes a job's HTML report (the JSON is beside it)."""
    return os.path.join(reports_dir(), job_id + ".html")


def write_report(job, queue_log) -> str:
    """Write ``<home>/reports/<job id>.json`` and ``.html``; return the HTML path."""
    folder = reports_dir()
    os.makedirs(folder, exist_ok=True)
    data = job.to_dict(steps=True)
    data["log"] = list(queue_log)
    base = os.path.join(folder, job.id)
    _write(base + ".json", json.dumps(data, indent=2, default=str))
    _write(base + ".html", _html(data))
    return base + ".html"


def output_folder(job) -> str:
    """Where the job's files go: an output key of an instance or the context, else the
    scene's folder, else the reports folder."""
    payload = job.payload
    for inst in payload.get("instances") or []:
        found = _first_dir((inst or {}).get("data") or {})
        if found:
            return found
    context = (payload.get("context") or {}).get("data") or {}
    found = _first_dir(context)
    if found:
        return found
    scene = context.get("currentFile") or (payload.get("host") or {}).get("scene")
    if isinstance(scene, str) and scene and os.path.isdir(os.path.dirname(scene)):
        return os.path.dirname(scene)
    return reports_dir()


def _first_dir(data):
    for key in OUTPUT_KEYS:
        value = data.get(key)
        if isinstance(value, str) and value:
            return value
    return None


def _write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)


def _when(value):
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(value)) if value else ""


def _html(data):
    e = html.escape
    cell = "<td>{}</td>"
    rows = "".join(
        "<tr>"
        + cell.format(s["index"] + 1)
        + cell.format(e(s.get("label") or s["plugin"]))
        + cell.format(e(s.get("instance") or ""))
        + f"<td class='{e(s['state'])}'>{e(s['state'])}</td>"
        + cell.format("" if s.get("duration") is None else f"{s['duration']:.1f} s")
        + cell.format(e(s.get("error") or ""))
        + "</tr>"
        for s in data.get("steps", [])
    )
    lines = "".join(
        f"<div>{e(_when(x.get('time')))} {e(str(x.get('level')))} {e(str(x.get('message')))}</div>"
        for x in data.get("log", [])
    )
    progress = data["progress"]
    return f"""<!doctype html>
<html><head><meta charset="utf-8"><title>{e(data["title"])}</title>
<style>
body {{ background:#2e2e2e; color:#ddd; font-family:sans-serif; margin:2em; }}
table {{ border-collapse:collapse; }} td, th {{ padding:4px 10px; border-bottom:1px solid #444; }}
.succeeded {{ color:#8fc23a; }} .failed {{ color:#e05555; }} .running {{ color:#4aa3ea; }}
.log {{ font-family:monospace; font-size:12px; margin-top:1em; }}
</style></head><body>
<h1>{e(data["title"])}</h1>
<p>Job {e(data["id"])} &middot; {e(data["state"])} &middot; {progress["done"]} / {progress["total"]}
steps &middot; attempts {data["attempts"]}/{data["max_attempts"]} &middot; created
{e(_when(data["created"]))} &middot; {e(str(data["host"].get("application", "")))}
{e(str(data["host"].get("version", "")))} on {e(str(data["host"].get("machine", "")))}</p>
<p class="failed">{e(data.get("error") or "")}</p>
<table><tr><th>#</th><th>Plugin</th><th>Instance</th><th>State</th><th>Duration</th>
<th>Error</th></tr>{rows}</table>
<div class="log">{lines}</div>
</body></html>
"""
