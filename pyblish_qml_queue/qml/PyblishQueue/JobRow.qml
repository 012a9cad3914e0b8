import QtQuick
import PyblishQueue.Backend

// One job in the Queue list: place, title, host, user, state, progress, attempts, created.
Rectangle {
    id: row

    required property int index
    required property string jobId
    required property string title
    required property string jobState
    required property string application
    required property string version
    required property string machine
    required property string user
    required property real created
    required property real started
    required property real finished
    required property int attempts
    required property int maxAttempts
    required property int done
    required property int total
    required property real progress
    required property string current
    required property string error
    required property int queueNumber
    required property bool cancelRequested
    required property string node  // the farm node running it, "" when local

    property var widths: ({})
    property bool selected: false
    signal clicked(string jobId)

    readonly property color tint: Theme.stateColor(jobState)
    // The farm node compactly: the host of a Celery "name@host" (the detail names it whole).
    readonly property string nodeHost: node.slice(node.indexOf("@") + 1)
    // The job states read once per row: each States.job is a call into Python, and a
    // row asks for it some twenty times as it is built (a keystroke builds a screenful).
    readonly property var jobStates: States.job

    objectName: "jobRow:" + jobId
    height: 25
    color: selected ? Theme.selection : index % 2 ? Theme.panel : Qt.darker(Theme.panel, 1.04)
    border.color: selected ? Theme.running : "transparent"

    function pillText() {
        switch (jobState) {
        case row.jobStates.running:
            return cancelRequested ? "Cancelling" : "Running " + Math.round(progress * 100) + "%"
        case row.jobStates.waiting: return "Waiting for farm"
        default: return Format.capital(jobState)
        }
    }

    function detail() {
        switch (jobState) {
        case row.jobStates.running:
            return node ? "on " + row.nodeHost + (current ? " · " + current : "") : current
        case row.jobStates.waiting:
            return current
        case row.jobStates.succeeded:
            return started && finished ? Format.duration(finished - started) : ""
        case row.jobStates.failed:
            return error ? "\"" + error + "\"" : ""
        case row.jobStates.interrupted:
            return error
        case row.jobStates.cancelled:
            // Only a person cancels (the Queue page or the CLI); the executor never does.
            return "by user"
        case row.jobStates.queued:
            return queueNumber > 0 && current ? "next: " + current : ""
        default:
            return ""
        }
    }

    // The job under the press, not under the release: rows re-sort as jobs move, and a
    // delegate may show another job by the time the button comes up.
    property string pressedJobId: ""

    TapHandler {
        onPressedChanged: if (pressed) row.pressedJobId = row.jobId
        onTapped: row.clicked(row.pressedJobId || row.jobId)
    }

    Row {
        anchors.fill: parent
        anchors.leftMargin: 6
        spacing: 0

        Text {
            width: row.widths.number
            anchors.verticalCenter: parent.verticalCenter
            text: row.queueNumber > 0 ? row.queueNumber : ""
            color: Theme.textDim
            horizontalAlignment: Text.AlignHCenter
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
        Text {
            width: row.widths.title
            anchors.verticalCenter: parent.verticalCenter
            text: row.title
            elide: Text.ElideRight
            color: row.jobState === row.jobStates.cancelled ? Theme.textDim : Theme.text
            font.family: Theme.font
            font.pixelSize: Theme.normal
            font.bold: true
            font.strikeout: row.jobState === row.jobStates.cancelled
            rightPadding: 8
        }
        Row {
            width: row.widths.host
            anchors.verticalCenter: parent.verticalCenter
            spacing: 6
            clip: true
            Rectangle {
                width: 16
                height: 16
                radius: 2
                color: Theme.appColor(row.application)
                anchors.verticalCenter: parent.verticalCenter
                Text {
                    anchors.centerIn: parent
                    text: Theme.appLetter(row.application)
                    color: "#1e1e1e"
                    font.family: Theme.font
                    font.pixelSize: 9
                    font.bold: true
                }
            }
            Text {
                text: Format.capital(row.application) + " " + row.version
                color: Theme.text
                font.family: Theme.font
                font.pixelSize: Theme.normal
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                visible: row.widths.host >= 170  // at narrow widths the application only
                text: row.machine ? "@ " + row.machine : ""
                color: Theme.textFaint
                font.family: Theme.font
                font.pixelSize: Theme.normal
                anchors.verticalCenter: parent.verticalCenter
            }
        }
        Text {
            width: row.widths.user
            anchors.verticalCenter: parent.verticalCenter
            text: row.user
            elide: Text.ElideRight
            color: Theme.text
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
        Row {
            width: row.widths.state
            anchors.verticalCenter: parent.verticalCenter
            spacing: 8
            clip: true
            StatePill {
                text: row.pillText()
                tint: row.tint
                mark: row.jobState === row.jobStates.succeeded ? "✓"
                    : row.jobState === row.jobStates.cancelled ? "×"
                    : row.jobState === row.jobStates.queued ? "○"
                    : row.jobState === row.jobStates.failed ? "!" : "●"
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                visible: width >= 30
                width: Math.max(0, row.widths.state - 150)
                text: row.detail()
                elide: Text.ElideRight
                color: row.jobState === row.jobStates.failed ? Qt.lighter(Theme.error, 1.2) : Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
                anchors.verticalCenter: parent.verticalCenter
            }
        }
        Row {
            width: row.widths.progress
            anchors.verticalCenter: parent.verticalCenter
            spacing: 8
            Bar {
                width: Math.max(40, row.widths.progress - 70)
                anchors.verticalCenter: parent.verticalCenter
                value: row.progress
                tint: row.jobState === row.jobStates.succeeded ? Theme.success
                    : row.jobState === row.jobStates.failed ? Theme.error
                    : row.jobState === row.jobStates.waiting ? Theme.waiting
                    : row.jobState === row.jobStates.running ? Theme.running : Theme.idle
            }
            Text {
                width: 50
                horizontalAlignment: Text.AlignRight
                text: row.done + " / " + row.total
                color: Theme.text
                font.family: Theme.font
                font.pixelSize: Theme.normal
                anchors.verticalCenter: parent.verticalCenter
            }
        }
        Text {
            width: row.widths.attempts
            anchors.verticalCenter: parent.verticalCenter
            text: row.attempts + "/" + row.maxAttempts
            color: row.attempts >= row.maxAttempts && row.jobState === row.jobStates.failed
                   ? Qt.lighter(Theme.error, 1.2) : Theme.textDim
            horizontalAlignment: Text.AlignHCenter
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
        Text {
            width: row.widths.created
            anchors.verticalCenter: parent.verticalCenter
            text: Format.clock(row.created)
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
    }
}
