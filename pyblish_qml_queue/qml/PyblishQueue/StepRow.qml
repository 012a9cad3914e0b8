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
    required property string worker  // who ran it: a farm node, or "pid N · machine"
    // The job's state: a step that will not run now (its job was cancelled or failed)
    // does not read "queued".
    property string jobState: ""
    readonly property string notRun: stepState !== States.step.pending ? ""
        : jobState === States.job.cancelled ? "cancelled"
        : jobState === States.job.failed ? "not run" : ""

    readonly property color tint: stepState === States.step.succeeded ? Theme.success
                                : stepState === States.step.failed ? Theme.error
                                : stepState === States.step.running ? Theme.running
                                : stepState === States.step.waiting ? Theme.waiting : Theme.idle

    objectName: "stepRow:" + index
    height: error ? 38 : 21
    color: stepState === States.step.running ? Theme.selection : "transparent"

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
            objectName: "stepMark"
            width: 14
            text: row.stepState === States.step.succeeded ? "✓"
                : row.stepState === States.step.failed ? "✕"
                : row.stepState === States.step.running ? "●"
                : row.stepState === States.step.waiting ? "❚❚"
                : row.stepState === States.step.skipped ? "–"
                : row.notRun && row.jobState === States.job.cancelled ? "×" : "○"
            color: row.tint
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
        Column {
            width: parent.width - 22 - 14 - workerText.width - 160 - 32
            Text {
                width: parent.width
                text: row.label + (row.instance ? "  ·  " + row.instance : "")
                elide: Text.ElideRight
                color: row.stepState === States.step.pending ? Theme.textDim : Theme.text
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Text {
                objectName: "stepError"
                visible: row.error !== ""
                width: parent.width
                text: Format.headline(row.error)
                textFormat: Text.PlainText
                elide: Text.ElideRight
                color: Qt.lighter(Theme.error, 1.2)
                font.family: Theme.font
                font.pixelSize: Theme.small
            }
        }
        Text {
            id: workerText
            objectName: "stepWorker"
            width: Math.min(120, Math.max(0, row.width * 0.2))
            visible: width >= 40
            // a Celery node compactly, as the job's row names it: the host of "name@host"
            text: row.worker ? row.worker.slice(row.worker.indexOf("@") + 1) : "—"
            elide: Text.ElideMiddle
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
        Row {
            width: 160
            spacing: 6
            layoutDirection: Qt.RightToLeft
            Text {
                objectName: "stepTime"
                text: row.stepState === States.step.running ? "running" + (row.started
                          ? " " + Format.span(App.now - row.started) : "")
                    : row.stepState === States.step.pending ? (row.notRun || "queued")
                    : row.stepState === States.step.waiting ? "waiting for farm"
                    : row.duration >= 0 ? Format.duration(row.duration) : row.stepState
                color: row.stepState === States.step.running ? Theme.running
                     : row.stepState === States.step.waiting ? Theme.waiting : Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Bar {
                visible: row.stepState === States.step.running
                width: 50
                anchors.verticalCenter: parent.verticalCenter
                value: row.fraction
            }
        }
    }
}
