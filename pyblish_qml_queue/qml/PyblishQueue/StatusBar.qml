import QtQuick
import QtQuick.Controls.Basic as B

// The strip at the bottom of a page: a status text on the left, buttons on the right.
// The wireframes' square glyph buttons are here for every page's bar, drawn (no icon
// font), with a tooltip: StatusBar.ForgetButton (≡×, clear the list: the Overview's
// disconnected hosts), StatusBar.PauseButton (❚❚, ▶ while paused) and
// StatusBar.SettingsButton (sliders; a menu of the app's settings). The page wires them
// to the backend: a singleton read inside an inline component is its type, not the
// object (PySide6 6.11), so these take what they show as properties.
Rectangle {
    id: bar

    default property alias buttons: right.data
    property string text: ""
    property color dot: Theme.success

    // A square button showing a drawn glyph (its contentItem) instead of a text.
    component GlyphButton: ActionButton {
        implicitWidth: 30
        implicitHeight: 26
        leftPadding: 0
        rightPadding: 0
        readonly property color ink: live ? Theme.text : Theme.textFaint
    }

    // Clear a list of what is gone (≡×): the Overview forgets its disconnected hosts.
    // count: how many there are; none, and the button is disabled.
    component ForgetButton: GlyphButton {
        id: forget
        property int count: 0
        objectName: "statusButton:forget"
        enabled: count > 0
        tip: "Forget disconnected hosts"
        contentItem: Item {
            Item {
                objectName: "forgetGlyph"
                anchors.centerIn: parent
                width: 16
                height: 11
                Repeater {  // ≡: three lines, the last two short of the ×
                    model: [{ y: 0, w: 14 }, { y: 4.5, w: 7 }, { y: 9, w: 7 }]
                    Rectangle {
                        required property var modelData
                        y: modelData.y
                        width: modelData.w
                        height: 1.5
                        radius: 0.5
                        color: forget.ink
                    }
                }
                Repeater {  // ×: two strokes crossed, bottom right
                    model: [45, -45]
                    Rectangle {
                        required property var modelData
                        x: 8.5
                        y: 6.75
                        width: 8
                        height: 1.5
                        radius: 0.5
                        rotation: modelData
                        color: forget.ink
                    }
                }
            }
        }
    }

    // Pause the queue (no new job starts; running ones go on), or resume it.
    component PauseButton: GlyphButton {
        id: pause
        property bool paused: false
        objectName: "statusButton:pause"
        checked: paused
        tip: paused ? "Resume the queue" : "Pause the queue: no new job starts, running ones go on"
        contentItem: Item {
            Row {  // ❚❚ while it runs
                objectName: "pauseGlyph"
                visible: !pause.paused
                anchors.centerIn: parent
                spacing: 3
                Repeater {
                    model: 2
                    Rectangle {
                        width: 3
                        height: 11
                        radius: 0.5
                        color: pause.ink
                    }
                }
            }
            Text {  // ▶ while paused
                objectName: "resumeGlyph"
                visible: pause.paused
                anchors.centerIn: parent
                text: "▶"
                color: pause.ink
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
        }
    }

    // The app's settings, in a menu (notifications: the only one it can change here).
    component SettingsButton: GlyphButton {
        id: settings
        property bool notifications: true
        signal notificationsPicked(bool on)
        objectName: "statusButton:settings"
        tip: menu.visible ? "" : "Settings"
        checked: menu.visible
        onClicked: menu.visible ? menu.close() : menu.open()
        contentItem: Item {
            Item {  // two sliders, their knobs apart
                objectName: "settingsGlyph"
                anchors.centerIn: parent
                width: 14
                height: 12
                Repeater {
                    model: [{ y: 0, knob: 4 }, { y: 7, knob: 10 }]
                    Item {
                        id: slider
                        required property var modelData
                        y: slider.modelData.y
                        width: 14
                        height: 5
                        Rectangle {
                            y: 1.9
                            width: parent.width
                            height: 1.2
                            color: settings.ink
                        }
                        Rectangle {
                            x: slider.modelData.knob - 2.5
                            width: 5
                            height: 5
                            radius: 2.5
                            color: Theme.chrome
                            border.color: settings.ink
                            border.width: 1.2
                        }
                    }
                }
            }
        }

        B.Menu {
            id: menu
            objectName: "settingsMenu"
            y: -implicitHeight - 4
            x: settings.width - width
            width: 220
            padding: 4
            background: Rectangle {
                color: Theme.panel
                border.color: Theme.border
                radius: 3
            }
            B.MenuItem {
                id: notifications
                objectName: "setting:notifications"
                text: "Notifications"
                checkable: true
                checked: settings.notifications
                onTriggered: settings.notificationsPicked(checked)
                implicitHeight: 28
                indicator: Item {}
                contentItem: Item {
                    Text {
                        anchors.verticalCenter: parent.verticalCenter
                        text: notifications.checked ? "✓" : ""
                        color: Theme.text
                        font.family: Theme.font
                        font.pixelSize: Theme.normal
                    }
                    Text {
                        x: 18
                        anchors.verticalCenter: parent.verticalCenter
                        text: notifications.text
                        color: Theme.text
                        font.family: Theme.font
                        font.pixelSize: Theme.normal
                    }
                    Text {
                        anchors.right: parent.right
                        anchors.verticalCenter: parent.verticalCenter
                        text: "when a job ends"
                        color: notifications.highlighted ? Theme.text : Theme.textFaint
                        font.family: Theme.font
                        font.pixelSize: Theme.small
                    }
                }
                background: Rectangle {
                    color: notifications.highlighted ? Theme.selection : "transparent"
                    radius: 2
                }
            }
        }
    }

    implicitHeight: 40
    color: Theme.chrome
    border.color: Theme.border

    // The text ends before the buttons: it elides rather than running under them.
    Row {
        anchors.left: parent.left
        anchors.leftMargin: 14
        anchors.verticalCenter: parent.verticalCenter
        width: right.x - 14 - 12
        spacing: 8
        Rectangle {
            width: 8
            height: 8
            radius: 4
            color: bar.dot
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            objectName: "statusText"
            width: parent.width - 16
            text: bar.text
            elide: Text.ElideRight
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.normal
            textFormat: Text.StyledText
            anchors.verticalCenter: parent.verticalCenter
        }
    }

    Row {
        id: right
        anchors.right: parent.right
        anchors.rightMargin: 8
        anchors.verticalCenter: parent.verticalCenter
        spacing: 4
    }
}
