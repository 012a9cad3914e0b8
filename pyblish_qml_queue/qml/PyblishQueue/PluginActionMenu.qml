import QtQuick
import QtQuick.Controls.Basic as B
import PyblishQueue.Backend

// The context menu of a plugin's pyblish Actions (as their `on` filters allow now),
// with Repair when the plugin has a repair method and failed.
B.Popup {
    id: menu

    property string pluginId: ""
    property var entries: []

    objectName: "pluginActionMenu"
    padding: 2
    modal: false
    focus: true
    closePolicy: B.Popup.CloseOnEscape | B.Popup.CloseOnPressOutside

    function openFor(plugin, anchor) {
        pluginId = plugin
        entries = Publish.actionsOf(plugin)
        if (!entries.length)
            return
        const at = anchor.mapToItem(menu.parent, 0, anchor.height)
        x = Math.max(0, Math.min(at.x - 160 + anchor.width, menu.parent.width - 200))
        y = at.y + 2
        open()
    }

    background: Rectangle {
        color: Theme.panel
        border.color: Theme.borderLight
        radius: 2
    }

    contentItem: Column {
        width: 200
        Repeater {
            model: menu.entries
            delegate: Rectangle {
                id: entry
                required property var modelData
                readonly property bool pickable: modelData.type === "action"
                                                 || modelData.type === "repair"
                objectName: "pluginAction:" + modelData.label
                width: 200
                height: modelData.type === "separator" ? 7 : 22
                color: area.containsMouse && pickable ? Theme.selection : "transparent"
                Rectangle {
                    visible: entry.modelData.type === "separator"
                    anchors.centerIn: parent
                    width: parent.width - 8
                    height: 1
                    color: Theme.borderLight
                }
                Text {
                    visible: entry.modelData.type !== "separator"
                    x: 10
                    anchors.verticalCenter: parent.verticalCenter
                    text: (entry.modelData.type === "repair" ? "⚒  " : "") + entry.modelData.label
                    color: entry.modelData.type === "category" ? Theme.textFaint : Theme.text
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
                MouseArea {
                    id: area
                    anchors.fill: parent
                    hoverEnabled: true
                    enabled: entry.pickable
                    onClicked: {
                        menu.close()
                        Publish.act(menu.pluginId, entry.modelData.id)
                    }
                }
            }
        }
    }
}
