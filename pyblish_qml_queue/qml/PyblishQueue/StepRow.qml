import QtQuick
import PyblishQueue.Backend

// One step (plugin x instance) of the selected job: state mark, name, time or state.
Rectangle {
    id: row

    required property int index
    required property string plugin
    required property string label
    required property string instance
    required property string stepState
    required property real started
    required property real duration
    required property string error
    required property int runs
    required property real fraction
    required property string message

    readonly property color tint: stepState === "succeeded" ? Theme.success
                                : stepState === "failed" ? Theme.error
                                : stepState === "running" ? Theme.running
                                : stepState === "waiting" ? Theme.waiting : Theme.idle

    objectName: "stepRow:" + index
    height: error ? 38 : 21
    color: stepState === "running" ? Theme.selection : "transparent"

    Row {
        x: 6
        y: 3
        width: parent.width - 12
        spacing: 8

        Text {
            width: 22
            text: row.index + 1
            color: Theme.textFaint
            horizontalAlignment: Text.AlignRight
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
        Text {
            width: 14
            text: row.stepState === "succeeded" ? "✓" : row.stepState === "failed" ? "✕"
                : row.stepState === "running" ? "●" : row.stepState === "waiting" ? "❚❚"
                : row.stepState === "skipped" ? "–" : "○"
            color: row.tint
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
        Column {
            width: parent.width - 22 - 14 - 160 - 24
            Text {
                width: parent.width
                text: row.label + (row.instance ? "  ·  " + row.instance : "")
                elide: Text.ElideRight
                color: row.stepState === "pending" ? Theme.textDim : Theme.text
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Text {
                visible: row.error !== ""
                width: parent.width
                text: row.error
                elide: Text.ElideRight
                color: Qt.lighter(Theme.error, 1.2)
                font.family: Theme.font
                font.pixelSize: Theme.small
            }
        }
        Row {
            width: 160
            spacing: 6
            layoutDirection: Qt.RightToLeft
            Text {
                text: row.stepState === "running" ? "running" + (row.started
                          ? " " + Format.span(App.now - row.started) : "")
                    : row.stepState === "pending" ? "queued"
                    : row.stepState === "waiting" ? "waiting for farm"
                    : row.duration >= 0 ? Format.duration(row.duration) : row.stepState
                color: row.stepState === "running" ? Theme.running
                     : row.stepState === "waiting" ? Theme.waiting : Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Bar {
                visible: row.stepState === "running"
                width: 50
                anchors.verticalCenter: parent.verticalCenter
                value: row.fraction
            }
        }
    }
}
