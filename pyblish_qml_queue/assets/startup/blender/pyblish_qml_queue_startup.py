"""pyblish-qml-queue for Blender: copy to the startup folder of your scripts folder
(<user scripts>/startup/pyblish_qml_queue_startup.py, e.g.
~/.config/blender/4.5/scripts/startup/ on Linux, or a folder set as BLENDER_USER_SCRIPTS
or in Preferences > File Paths > Script Directories). Blender imports it at start-up and
calls register().

register() registers the host "blender" with pyblish, so plugins made for Blender are
found, and adds "Publish..." to the File menu, calling pyblish_qml_queue.show();
unregister() takes both away. See docs/install.md.
"""

import bpy
import pyblish.api


class PYBLISH_OT_qml_queue_publish(bpy.types.Operator):
    """Open this Blender session's page in pyblish-qml-queue"""

    bl_idname = "pyblish.qml_queue_publish"
    bl_label = "Publish..."

    def execute(self, context):
        import pyblish_qml_queue

        pyblish_qml_queue.show()
        return {"FINISHED"}


def draw_menu(self, context):
    self.layout.separator()
    self.layout.operator(PYBLISH_OT_qml_queue_publish.bl_idname, text="Publish...")


def register():
    pyblish.api.register_host("blender")
    bpy.utils.register_class(PYBLISH_OT_qml_queue_publish)
    bpy.types.TOPBAR_MT_file.append(draw_menu)


def unregister():
    bpy.types.TOPBAR_MT_file.remove(draw_menu)
    bpy.utils.unregister_class(PYBLISH_OT_qml_queue_publish)
    pyblish.api.deregister_host("blender")
