import QtQuick
import QtQuick.Layouts
import PyblishQueue.Backend

// One host on the Overview: who and where it is, how far its publish got, what it
// said last. Disconnected hosts are greyed until forgotten. Click opens its page.
Rectangle {
    id: card

    required property string hostId
    required property string application
    required property string version
    required property int pid
    required property string machine
    required property string user
    required property string scene
    required property string hostState
    required property bool connected
    required property string stage
    required property int progressDone
    required property int progressTotal
    required property string currentPlugin
    required property string currentInstance
    required property string lastStep  // "ValidateMeshTopology · SET_kitchen" ("" before any)
    required property real disconnectedAt  // when its link dropped (0: unknown or connected)
    required property int errors
    required property int warnings
    required property real lastActivity
    required property var logTail
    required property string jobId
    required property bool validated
    required property string interrupted
    required property string instanceSummary

    readonly property bool gone: !connected || hostState === States.host.disconnected
    readonly property string currentStep: currentPlugin
        + (currentInstance ? " · " + currentInstance : "")
    // A step runs now (else the card shows the last one that ran).
    readonly property bool running: !gone && currentStep !== ""
    readonly property bool busy: States.hostBusy.indexOf(hostState) >= 0
    // The app's restart stopped this host's publish (the hub's words say what to do).
    readonly property bool stopped: !gone && interrupted !== ""
    readonly property color tint: gone ? Theme.idle : Theme.stateColor(hostState)
    readonly property color ink: gone ? Theme.textFaint : Theme.text
    readonly property color dim: gone ? Theme.textFaint : Theme.textDim

    // What the Queue says of the job this host handed off: {title, state, done, total}
    // ({} when none, or when the job is no longer in the queue).
    property var job: Overview.jobs[jobId] || ({})
    readonly property bool handedOff: hostState === States.host.handedOff
    readonly property bool jobKnown: handedOff && job.state !== undefined
    // Steps of the whole publish: those run here plus the job's, once handed off.
    readonly property int stepsDone: jobKnown ? progressDone + job.done : progressDone
    readonly property int stepsTotal: jobKnown ? Math.max(progressTotal, progressDone + job.total)
                                               : progressTotal

    signal openRequested(string hostId)
    signal forgetRequested(string hostId)
    signal showJobRequested(string jobId)

    // "sh0090 comp render — waiting for farm": the handed-off job's title and live state.
    function jobLine() {
        if (!jobKnown)
            return jobId ? "job " + jobId.slice(0, 8) : ""
        return job.title + " — " + jobStateWords()
    }

    function jobStateWords() {
        return job.state === States.job.running ? "running " + job.done + " / " + job.total
             : job.state === States.job.waiting ? "waiting for farm"
             : job.state || ""
    }

    // The small monochrome glyphs of the who-and-where line, drawn (no icon font).
    component Dot: Text {
        text: "·"
        color: Theme.textFaint
        font.family: Theme.font
        font.pixelSize: Theme.normal
    }
    // A monitor: a screen on a stand.
    component MachineGlyph: Item {
        property color tint: Theme.textDim
        implicitWidth: 13
        implicitHeight: 12
        Rectangle {
            x: 0
            y: 1
            width: 13
            height: 8
            radius: 1
            color: "transparent"
            border.color: parent.tint
            border.width: 1.2
        }
        Rectangle {
            x: 6
            y: 9
            width: 1.2
            height: 2
            color: parent.tint
        }
        Rectangle {
            x: 3.5
            y: 10.8
            width: 6
            height: 1.2
            color: parent.tint
        }
    }
    // A person: a head over the curve of the shoulders.
    component UserGlyph: Item {
        id: person
        property color tint: Theme.textDim
        implicitWidth: 11
        implicitHeight: 12
        Rectangle {
            x: 3
            y: 0.5
            width: 5
            height: 5
            radius: 2.5
            color: "transparent"
            border.color: parent.tint
            border.width: 1.2
        }
        Item {  // the top half of a ring
            x: 0.5
            y: 7
            width: 10
            height: 5
            clip: true
            Rectangle {
                width: 10
                height: 10
                radius: 5
                color: "transparent"
                border.color: person.tint
                border.width: 1.2
            }
        }
    }

    objectName: "hostCard:" + hostId
    implicitHeight: 276
    color: gone ? Theme.well : hover.hovered ? Theme.panelHover : Theme.panel
    border.color: hover.hovered && !gone ? Theme.running : Theme.borderLight
    radius: 2

    HoverHandler {
        id: hover
    }

    TapHandler {
        onTapped: card.openRequested(card.hostId)
    }

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 12
        spacing: 6

        // application, version, state, open
        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            Rectangle {
                implicitWidth: 20
                implicitHeight: 20
                radius: 2
                color: card.gone ? Theme.borderLight : Theme.appColor(card.application)
                Text {
                    anchors.centerIn: parent
                    text: Theme.appLetter(card.application)
                    color: "#1e1e1e"
                    font.family: Theme.font
                    font.pixelSize: Theme.small
                    font.bold: true
                }
            }
            Text {
                Layout.fillWidth: true
                text: Format.capital(card.application) + " " + card.version
                color: card.ink
                elide: Text.ElideRight
                font.family: Theme.font
                font.pixelSize: Theme.large
                font.bold: true
            }
            HostStatePill {
                objectName: "hostStatePill"
                hostState: card.hostState
                validated: card.validated
                interrupted: card.interrupted
                gone: card.gone
            }
            ActionButton {
                visible: hover.hovered && !card.gone
                text: "Open ›"
                implicitHeight: 20
                onClicked: card.openRequested(card.hostId)
            }
        }

        // pid · (screen) machine · (person) user; the names elide (the machine's first,
        // keeping some of the user's), the glyphs stay
        Row {
            id: who
            objectName: "whoAndWhere"
            Layout.fillWidth: true
            spacing: 5
            Text {
                objectName: "pidText"
                text: "pid " + card.pid
                color: card.dim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Dot {
                visible: card.machine !== ""
            }
            MachineGlyph {
                objectName: "machineGlyph"
                visible: card.machine !== ""
                tint: card.dim
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                id: machineText
                objectName: "machineText"
                visible: card.machine !== ""
                // what the user's part needs after it: a dot, its glyph, some of its name
                readonly property real after: card.user === "" ? 0
                    : 3 * who.spacing + userDot.width + userGlyph.width
                      + Math.min(userText.implicitWidth, 90)
                width: Math.max(0, Math.min(implicitWidth, who.width - x - after))
                text: card.machine
                color: card.dim
                elide: Text.ElideRight
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Dot {
                id: userDot
                visible: card.user !== ""
            }
            UserGlyph {
                id: userGlyph
                objectName: "userGlyph"
                visible: card.user !== ""
                tint: card.dim
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                id: userText
                objectName: "userText"
                visible: card.user !== ""
                width: Math.max(0, Math.min(implicitWidth, who.width - x))
                text: card.user
                color: card.dim
                elide: Text.ElideRight
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
        }

        Text {
            Layout.fillWidth: true
            text: card.scene || "untitled scene"
            color: card.dim
            elide: Text.ElideLeft
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }

        StageStrip {
            Layout.fillWidth: true
            Layout.topMargin: 6
            hostState: card.hostState
            stage: card.stage
            errors: card.errors
            validated: card.validated
            done: card.progressDone
            faded: card.gone
        }

        RowLayout {
            Layout.fillWidth: true
            spacing: 10
            Bar {
                objectName: "progressBar"
                Layout.fillWidth: true
                value: card.stepsTotal ? card.stepsDone / card.stepsTotal : 0
                tint: card.gone ? Theme.idle
                    : card.jobKnown ? Theme.stateColor(card.job.state)
                    : card.hostState === States.host.failed || card.errors > 0 ? Theme.error
                    : card.hostState === States.host.finished || card.handedOff ? Theme.success
                    : Theme.running
            }
            Text {
                objectName: "progressText"
                text: card.stepsDone + " / " + card.stepsTotal
                      + (card.handedOff && !card.jobKnown ? " in-session" : " steps")
                color: card.ink
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
        }

        // what it is doing, or where its work went
        RowLayout {
            Layout.fillWidth: true
            spacing: 8
            Text {
                Layout.preferredWidth: 60
                objectName: "currentLabel"
                text: card.hostState === States.host.handedOff ? "Queue job"
                    : card.hostState === States.host.finished ? "Result"
                    : card.running ? "Current" : "Last step"
                color: card.dim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Rectangle {
                objectName: "currentDot"
                implicitWidth: 8
                implicitHeight: 8
                radius: 4
                color: card.handedOff ? Theme.stateColor(card.job.state || States.job.queued)
                     : card.stopped ? Theme.warning : card.tint
                visible: card.hostState !== States.host.finished
                         && (card.running || card.handedOff || card.stopped || card.lastStep !== "")
            }
            Text {
                id: currentText
                objectName: "currentText"
                Layout.fillWidth: true
                text: card.handedOff ? (card.jobKnown ? card.job.title : card.jobLine())
                    : card.hostState === States.host.finished ? "✓ published, " + card.progressDone
                                                      + " steps"
                    : card.stopped ? Format.capital(card.interrupted)
                    : card.running ? card.currentStep
                    : card.lastStep || "nothing has run yet"
                color: card.stopped ? Theme.warning
                     : !card.running && !card.lastStep ? card.dim : card.ink
                elide: Text.ElideRight
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Text {
                objectName: "currentElapsed"
                // since the previous step ended: the running step's time so far
                visible: card.running && card.busy && card.lastActivity > 0
                text: Format.span(Math.max(0, App.now - card.lastActivity))
                color: Theme.textFaint
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Text {
                objectName: "jobStateText"
                visible: card.jobKnown
                text: "— " + card.jobStateWords()
                color: Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
        }

        // what it publishes (and, as in the wireframe, the way to its queue job)
        RowLayout {
            Layout.fillWidth: true
            visible: card.instanceSummary !== "" || card.handedOff
            spacing: 8
            Text {
                Layout.preferredWidth: 60
                text: "Instances"
                color: card.dim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Text {
                objectName: "instanceSummary"
                Layout.fillWidth: true
                text: card.instanceSummary
                color: card.ink
                elide: Text.ElideRight
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Text {
                objectName: "showInQueue"
                visible: card.handedOff && card.jobId !== ""
                text: "<u>Show in Queue</u>"
                textFormat: Text.StyledText
                color: Theme.running
                font.family: Theme.font
                font.pixelSize: Theme.normal
                // A MouseArea takes the click for itself: the card's own tap (open the
                // host's Publish page) must not fire as well.
                MouseArea {
                    anchors.fill: parent
                    cursorShape: Qt.PointingHandCursor
                    onClicked: card.showJobRequested(card.jobId)
                }
            }
        }

        // the last log lines
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.topMargin: 4
            color: card.gone ? Theme.well : Theme.sunken
            border.color: Theme.border
            clip: true
            Column {
                anchors.fill: parent
                anchors.margins: 6
                spacing: 2
                Repeater {
                    model: card.logTail.slice(-3)
                    delegate: Row {
                        id: logLine
                        required property var modelData
                        // {time, level, message} from the hub; a bare string from older ones
                        readonly property bool plain: typeof modelData === "string"
                        readonly property string level: plain ? "" : String(modelData.level || "")
                        objectName: "cardLogLine"
                        width: parent.width
                        spacing: 6
                        Text {
                            objectName: "cardLogTime"
                            visible: !logLine.plain && text !== ""
                            text: logLine.plain ? "" : Format.clock(logLine.modelData.time)
                            color: Theme.textFaint
                            font.family: Theme.mono
                            font.pixelSize: Theme.small
                        }
                        Text {
                            objectName: "cardLogLevel"
                            visible: !logLine.plain
                            text: logLine.level === "WARNING" ? "WARN" : logLine.level
                            color: card.gone ? Theme.textFaint : Theme.levelColor(logLine.level)
                            font.family: Theme.mono
                            font.pixelSize: Theme.small
                        }
                        Text {
                            objectName: "cardLogMessage"
                            width: parent.width - x
                            text: logLine.plain ? logLine.modelData : logLine.modelData.message
                            elide: Text.ElideRight
                            color: card.gone ? Theme.textFaint : Theme.text
                            font.family: Theme.mono
                            font.pixelSize: Theme.small
                        }
                    }
                }
            }
        }

        // counts and last activity
        RowLayout {
            Layout.fillWidth: true
            spacing: 6
            Chip {
                visible: !card.gone
                text: Format.plural(card.errors, "error")
                tint: Theme.error
                lit: card.errors > 0
            }
            Chip {
                visible: !card.gone
                text: Format.plural(card.warnings, "warning")
                tint: Theme.warning
                lit: card.warnings > 0
            }
            Text {
                visible: card.gone
                objectName: "goneSince"
                text: card.disconnectedAt > 0
                      ? "disconnected " + Format.ago(card.disconnectedAt, App.now)
                      : "no heartbeat for " + Format.span(App.now - card.lastActivity)
                color: Theme.textFaint
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Item {
                Layout.fillWidth: true
            }
            Text {
                visible: !card.gone
                text: "last activity " + Format.ago(card.lastActivity, App.now)
                color: Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Text {
                visible: card.gone
                text: "<u>Forget</u>"
                textFormat: Text.StyledText
                color: Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
                TapHandler {
                    onTapped: card.forgetRequested(card.hostId)
                }
            }
        }
    }
}
