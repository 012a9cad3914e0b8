import QtQuick

// One line of the Console: time, level, source, message (its first line; a traceback
// shows as "+N lines"). Warnings and errors are tinted, errors get a red edge.
Rectangle {
    id: line

    required property int index
    required property real time
    required property string level
    required property string source
    required property string message

    readonly property var parts: message.split("\n")

    height: 19
    width: ListView.view ? ListView.view.width : 600
    color: level === "WARNING" ? Qt.rgba(0.89, 0.65, 0.25, 0.10)
         : level === "ERROR" ? Qt.rgba(0.88, 0.29, 0.29, 0.16)
         : index % 2 ? Qt.rgba(1, 1, 1, 0.015) : "transparent"

    Rectangle {
        visible: line.level === "ERROR"
        width: 3
        height: parent.height
        color: Theme.error
    }

    Row {
        x: 10
        anchors.verticalCenter: parent.verticalCenter
        spacing: 10
        Text {
            width: 86
            text: Format.clockMs(line.time)
            color: Theme.textDim
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            width: 56
            text: line.level
            color: Theme.levelColor(line.level)
            font.family: Theme.mono
            font.pixelSize: Theme.small
            font.bold: true
        }
        Text {
            width: 70
            text: line.source
            elide: Text.ElideRight
            color: Theme.textDim
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            width: line.width - 270
            text: line.parts[0] + (line.parts.length > 1 ? "  (+" + (line.parts.length - 1) + " lines)" : "")
            elide: Text.ElideRight
            color: line.level === "ERROR" ? "#f08a8a" : Theme.text
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
    }
}
