import QtQuick
import QtQuick.Controls.Basic as B
import PyblishQueue.Backend

// The tray's menu inside the window, for systems without a tray: Overview, Queue, Console,
// Pause / Resume queue, Notifications, Quit.
B.AbstractButton {
    id: button

    implicitWidth: 34
    implicitHeight: 28
    hoverEnabled: true
    focusPolicy: Qt.NoFocus
    onClicked: menu.open()

    background: Rectangle {
        radius: 2
        color: button.down || menu.visible ? Theme.sunken : button.hovered ? Theme.panelHover
                                                                          : "transparent"
        border.color: button.hovered || menu.visible ? Theme.borderLight : "transparent"
    }
    contentItem: Text {
        text: "☰"
        color: Theme.text
        font.family: Theme.font
        font.pixelSize: Theme.large + 2
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
    }

    B.Menu {
        id: menu
        objectName: "windowMenu"
        y: button.height + 4
        x: button.width - width
        width: 230
        padding: 4

        background: Rectangle {
            color: Theme.panel
            border.color: Theme.border
            radius: 3
        }

        component Entry: B.MenuItem {
            id: entry
            property string note: ""
            implicitHeight: 28
            contentItem: Item {
                Text {
                    anchors.left: parent.left
                    anchors.leftMargin: entry.checkable ? 18 : 0
                    anchors.verticalCenter: parent.verticalCenter
                    text: entry.text
                    color: entry.enabled ? Theme.text : Theme.textFaint
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
                Text {
                    anchors.left: parent.left
                    anchors.verticalCenter: parent.verticalCenter
                    visible: entry.checkable
                    text: entry.checked ? "✓" : ""
                    color: Theme.text
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
                Text {
                    anchors.right: parent.right
                    anchors.verticalCenter: parent.verticalCenter
                    text: entry.note
                    color: entry.highlighted ? Theme.text : Theme.textFaint
                    font.family: Theme.font
                    font.pixelSize: Theme.small
                }
            }
            background: Rectangle {
                color: entry.highlighted ? Theme.selection : "transparent"
                radius: 2
            }
            indicator: Item {}
        }

        component Line: B.MenuSeparator {
            contentItem: Rectangle {
                implicitHeight: 1
                color: Theme.borderLight
            }
        }

        Entry {
            objectName: "menu:overview"
            text: "Overview"
            note: Tray.hostsText
            onTriggered: Tray.showOverview()
        }
        Entry {
            objectName: "menu:queue"
            text: "Queue"
            note: Tray.runningText
            onTriggered: Tray.showQueue()
        }
        Entry {
            objectName: "menu:console"
            text: "Console"
            onTriggered: Tray.showConsole()
        }
        Line {}
        Entry {
            objectName: "menu:pause"
            text: Tray.paused ? "Resume queue" : "Pause queue"
            enabled: Tray.hasExecutor
            onTriggered: Tray.togglePause()
        }
        Entry {
            objectName: "menu:notifications"
            text: "Notifications"
            checkable: true
            checked: Tray.notifications
            onTriggered: Tray.setNotifications(checked)
        }
        Line {}
        Entry {
            objectName: "menu:quit"
            text: "Quit"
            onTriggered: Tray.quit()
        }
    }
}
