"""A studio's own host adapter, importable by name: what ``dcc.for_job(name,
"studio_adapter:KatanaAdapter")`` imports again in a worker."""

from pyblish_qml_queue.dcc import HostAdapter


class KatanaAdapter(HostAdapter):
    name = "katana"
    label = "Katana"
    extension = ".katana"

    def detect(self):
        return False  # the tests register it by hand; no Katana runs here
