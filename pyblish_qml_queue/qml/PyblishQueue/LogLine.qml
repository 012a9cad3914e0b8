import QtQuick

// One log line: time, level, source, message, in the terminal's mono font.
Rectangle {
    id: line

    required property int index
    required property real time
    required property string level
    required property string source
    required property string message

    height: 19
    width: ListView.view ? ListView.view.width : 400
    color: level === "WARNING" || level === "WARN" ? Qt.rgba(0.89, 0.65, 0.25, 0.10)
         : level === "ERROR" || level === "CRITICAL" ? Qt.rgba(0.88, 0.29, 0.29, 0.12)
         : "transparent"

    Row {
        x: 8
        anchors.verticalCenter: parent.verticalCenter
        spacing: 10
        Text {
            text: Format.clockMs(line.time)
            color: Theme.textDim
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            width: 40
            text: line.level === "WARNING" ? "WARN" : line.level
            color: Theme.levelColor(line.level)
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            width: 110
            text: line.source
            elide: Text.ElideRight
            color: Theme.textDim
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            text: line.message
            color: Theme.text
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
    }
}
