import QtQuick
import QtQuick.Controls.Basic

// A log level's on/off toggle (Console, Terminal): on, it is lit with the level's colour
// and underlined; off, its word is faint on a plain panel.
AbstractButton {
    id: toggle

    required property string level  // DEBUG, INFO, WARNING, ERROR
    property bool on: false
    property string count: ""  // shown faint beside the word when not empty

    readonly property color wordColor: !on ? Theme.textFaint
        : level === "INFO" ? Theme.text : Theme.levelColor(level)

    implicitHeight: 26
    implicitWidth: levelRow.implicitWidth + 20
    hoverEnabled: true
    focusPolicy: Qt.NoFocus

    background: Rectangle {
        color: toggle.on ? Theme.selection : toggle.hovered ? Theme.panelHover : Theme.panel
        border.color: Theme.borderLight
        Rectangle {
            objectName: "levelUnderline"
            visible: toggle.on
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.bottom: parent.bottom
            anchors.margins: 1
            height: 2
            color: Theme.levelColor(toggle.level)
        }
    }
    contentItem: Item {
        Row {
            id: levelRow
            anchors.centerIn: parent
            spacing: 6
            Text {
                objectName: "levelWord"
                text: toggle.level
                color: toggle.wordColor
                font.family: Theme.font
                font.pixelSize: Theme.normal
                font.strikeout: !toggle.on
            }
            Text {
                visible: toggle.count !== ""
                text: toggle.count
                color: Theme.textFaint
                font.family: Theme.font
                font.pixelSize: Theme.small
                anchors.verticalCenter: parent.verticalCenter
            }
        }
    }
}
