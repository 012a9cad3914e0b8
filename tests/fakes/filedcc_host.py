"""A filedcc "host" for the end-to-end tests: one artist session in one process.

    python filedcc_host.py WORK.json [--edit]

Opens the work file, registers the filedcc adapter with
``pyblish_qml_queue.register_host`` and the filedcc publish, calls
``pyblish_qml_queue.submit()``; with ``--edit`` the artist then goes on working
(deletes PROP_crate02, renames CHAR_hat, saves the live work file). The last
stdout line starting with ``RESULT `` is the outcome as JSON.
"""

import argparse
import json
import os
import sys

import filedcc
import pyblish.api

import pyblish_qml_queue

PLUGINS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "filedcc_plugins")


def main(argv):
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--edit", action="store_true")
    args = parser.parse_args(argv)

    filedcc.open_file(args.work)
    pyblish_qml_queue.register_host(filedcc.FileDccAdapter)
    pyblish.api.register_host("filedcc")
    pyblish.api.register_plugin_path(PLUGINS)

    before = os.stat(args.work)
    job_id = pyblish_qml_queue.submit()
    after = os.stat(args.work)
    untouched = (before.st_mtime_ns, before.st_size) == (after.st_mtime_ns, after.st_size)
    if args.edit:
        filedcc.delete("PROP_crate02")
        filedcc.rename("CHAR_hat", "CHAR_hat_renamed")
        filedcc.save()
    sys.stdout.write(
        "RESULT "
        + json.dumps(
            {
                "job": job_id,
                "file": filedcc.scene_path(),
                "untouched": untouched,
                "nodes": filedcc.nodes(),
            }
        )
        + "\n"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
