import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import PyblishQueue.Backend

// Every job: filters, the list, the selected job's actions, steps and live log, and
// a footer saying whether the queue runs and what is next.
Item {
    id: page

    readonly property var job: Queue.selected
    readonly property string jobState: job.state || ""
    // What the selected job allows, decided in Python (queue/rules.allowed_actions).
    readonly property var can: Queue.can
    // Column widths: as wide as they like when there is room; between that and their
    // least (the window's minimum width) they narrow together, and the title takes the rest.
    readonly property var widths: {
        const wide = { number: 30, host: 190, user: 100, state: 250, progress: 170,
                       attempts: 70, created: 80, title: 140 }
        const least = { number: 24, host: 118, user: 62, state: 150, progress: 112,
                        attempts: 60, created: 62, title: 100 }
        const keys = Object.keys(wide)
        const sum = table => keys.reduce((n, k) => n + table[k], 0)
        const room = list.width - 6
        const t = Math.max(0, Math.min(1, (room - sum(least)) / (sum(wide) - sum(least))))
        const out = {}
        for (const k of keys)
            out[k] = Math.floor(least[k] + t * (wide[k] - least[k]))
        out.title = Math.max(out.title, room - sum(out) + out.title)
        return out
    }
    // The job the Remove question is about ({} when none is asked).
    property var removing: ({})

    onJobChanged: if (removing.jobId && removing.jobId !== job.jobId) removing = {}

    Connections {
        target: Queue
        function onRevealRequested(row) {
            if (row >= 0)
                list.positionViewAtIndex(row, ListView.Contain)
        }
        function onFilterChanged() {
            if (Queue.search === "" && search.text !== "")
                search.text = ""
        }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // filters
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            spacing: 8
            Choice {
                label: "State"
                value: Queue.stateFilter
                choices: [
                    { value: "", text: "All states" },
                    { value: States.jobGroup.active, text: "Active" },
                    { value: States.job.queued, text: "Queued" },
                    { value: States.job.running, text: "Running" },
                    { value: States.job.waiting, text: "Waiting for farm" },
                    { value: States.job.succeeded, text: "Succeeded" },
                    { value: States.job.failed, text: "Failed" },
                    { value: States.job.cancelled, text: "Cancelled" },
                    { value: States.job.interrupted, text: "Interrupted" },
                    { value: States.jobGroup.finished, text: "Finished" }
                ]
                onPicked: value => Queue.setStateFilter(value)
            }
            Choice {
                label: "Host"
                value: Queue.hostFilter
                choices: [{ value: "", text: "All hosts" }].concat(
                    Queue.hostChoices.map(h => ({ value: h, text: h })))
                onPicked: value => Queue.setHostFilter(value)
            }
            SearchBox {
                id: search
                Layout.preferredWidth: 260
                Layout.minimumWidth: 120
                Layout.fillWidth: page.width < 900
                placeholderText: "Search title, shot, user, job id..."
                onSearchEdited: text => Queue.setSearch(text)
            }
            Item {
                Layout.fillWidth: true
            }
            Text {
                objectName: "jobCounts"
                text: ((Queue.counts.shown || 0) !== (Queue.counts.total || 0)
                       ? (Queue.counts.shown || 0) + " of " : "")
                      + Format.plural(Queue.counts.total || 0, "job") + " · "
                      + (Queue.counts.active || 0) + " active · "
                      + (Queue.counts.finished || 0) + " finished"
                color: Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
        }

        // the jobs
        Rectangle {
            Layout.fillWidth: true
            Layout.preferredHeight: Math.max(120, page.height * 0.36)
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            color: Theme.well
            border.color: Theme.border

            Rectangle {
                id: columns
                width: parent.width
                height: 24
                color: Theme.chrome
                border.color: Theme.border
                Row {
                    x: 7
                    anchors.verticalCenter: parent.verticalCenter
                    Repeater {
                        model: [
                            ["#", "number"], ["Title", "title"], ["Host", "host"],
                            ["User", "user"], ["State", "state"], ["Progress", "progress"],
                            ["Attempts", "attempts"], ["Created ▾", "created"]
                        ]
                        delegate: Text {
                            required property var modelData
                            width: page.widths[modelData[1]]
                            text: modelData[0]
                            elide: Text.ElideRight
                            rightPadding: 4
                            color: Theme.textDim
                            horizontalAlignment: modelData[1] === "number"
                                                 || modelData[1] === "attempts"
                                                 ? Text.AlignHCenter : Text.AlignLeft
                            font.family: Theme.font
                            font.pixelSize: Theme.normal
                        }
                    }
                }
            }

            ListView {
                id: list
                anchors.fill: parent
                anchors.topMargin: columns.height
                anchors.margins: 1
                clip: true
                model: Queue.jobs
                boundsBehavior: Flickable.StopAtBounds
                reuseItems: true
                ScrollBar.vertical: ScrollBar {}
                delegate: JobRow {
                    width: list.width
                    widths: page.widths
                    selected: jobId === Queue.selectedId
                    onClicked: id => Queue.select(id)
                }
                Text {
                    anchors.centerIn: parent
                    visible: list.count === 0
                    text: Queue.counts.total ? "No job matches these filters."
                                             : "No jobs yet. Hosts hand work here with "
                                               + "Publish in background."
                    color: Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
            }
        }

        // the selected job's actions
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            spacing: 4

            Rectangle {
                implicitWidth: 10
                implicitHeight: 10
                radius: 5
                color: Theme.stateColor(page.jobState)
                visible: page.jobState !== ""
            }
            Text {
                Layout.fillWidth: true
                Layout.minimumWidth: 120
                text: page.jobState === "" ? "Select a job to see its steps and log"
                    : "<b>" + page.job.title + "</b>  <font color='" + Theme.textFaint
                      + "'>job " + page.job.jobId.slice(0, 8) + "</font>"
                textFormat: Text.StyledText
                elide: Text.ElideRight
                color: page.jobState === "" ? Theme.textDim : Theme.text
                font.family: Theme.font
                font.pixelSize: Theme.large
            }
            JobActions {
                id: actions
                visible: !page.removing.jobId
                can: page.can
                maxWidth: page.width - 16 - 10 - 4 - 200
                onActionRequested: action => page.act(action)
            }
            Text {
                objectName: "removeQuestion"
                visible: page.removing.jobId !== undefined
                text: "Remove it from the queue? Its steps and log go; files it wrote stay."
                elide: Text.ElideRight
                Layout.maximumWidth: page.width * 0.45
                color: Theme.warning
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            ActionButton {
                objectName: "removeConfirm"
                visible: page.removing.jobId !== undefined
                text: "Remove"
                mark: "−"
                accent: true
                onClicked: {
                    const id = page.removing.jobId
                    page.removing = {}
                    Queue.remove(id)
                }
            }
            ActionButton {
                objectName: "removeKeep"
                visible: page.removing.jobId !== undefined
                text: "Keep"
                onClicked: page.removing = {}
            }
        }

        // a report or folder nothing on this machine opens: say so, offer the path
        Rectangle {
            objectName: "unopened"
            Layout.fillWidth: true
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            Layout.bottomMargin: 6
            visible: Queue.unopened !== ""
            implicitHeight: 30
            color: Qt.rgba(0.89, 0.65, 0.25, 0.10)
            border.color: Theme.warning
            radius: 2
            RowLayout {
                anchors.fill: parent
                anchors.leftMargin: 10
                anchors.rightMargin: 4
                spacing: 6
                Text {
                    Layout.fillWidth: true
                    text: "Nothing on this machine opens " + Queue.unopened
                    elide: Text.ElideMiddle
                    color: Theme.text
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
                ActionButton {
                    objectName: "copyPath"
                    implicitHeight: 22
                    text: "Copy path"
                    mark: "⧉"
                    onClicked: Queue.copyPath(Queue.unopened)
                }
                ActionButton {
                    implicitHeight: 22
                    text: "✕"
                    onClicked: Queue.dismissUnopened()
                }
            }
        }

        // steps and log
        SplitView {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            Layout.bottomMargin: 8
            orientation: Qt.Horizontal

            handle: Rectangle {
                implicitWidth: 4
                color: Theme.background
            }

            Rectangle {
                SplitView.preferredWidth: parent.width * 0.46
                SplitView.minimumWidth: 260
                color: Theme.well
                border.color: Theme.border

                Text {
                    id: stepsTitle
                    x: 8
                    y: 6
                    text: "<b>Steps</b>  <font color='" + Theme.textFaint + "'>"
                          + page.stepSummary() + "</font>"
                    textFormat: Text.StyledText
                    color: Theme.text
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
                Text {
                    objectName: "jobWhere"
                    anchors.left: stepsTitle.right
                    anchors.leftMargin: 12
                    anchors.right: parent.right
                    anchors.rightMargin: 8
                    y: 6
                    text: page.whereText()
                    horizontalAlignment: Text.AlignRight
                    elide: Text.ElideRight
                    color: page.job.nodeState === "lost" ? Theme.waiting : Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
                ListView {
                    id: steps
                    anchors.fill: parent
                    anchors.topMargin: 26
                    anchors.bottomMargin: reportLine.height + 2
                    anchors.leftMargin: 1
                    anchors.rightMargin: 1
                    clip: true
                    model: Queue.steps
                    boundsBehavior: Flickable.StopAtBounds
                    ScrollBar.vertical: ScrollBar {}
                    delegate: StepRow {
                        width: steps.width
                        jobState: page.jobState
                    }
                }
                Rectangle {
                    id: reportLine
                    anchors.bottom: parent.bottom
                    anchors.margins: 1
                    width: parent.width - 2
                    x: 1
                    height: 24
                    color: Theme.chrome
                    Text {
                        x: 8
                        width: parent.width - 16
                        anchors.verticalCenter: parent.verticalCenter
                        objectName: "reportPath"
                        text: "Report  <font color='" + Theme.text + "'>"
                              + (page.job.report ? page.job.report
                                 : page.jobState ? "written when the job ends" : "—") + "</font>"
                        textFormat: Text.StyledText
                        elide: Text.ElideLeft
                        color: Theme.textFaint
                        font.family: Theme.font
                        font.pixelSize: Theme.small
                    }
                }
            }

            Rectangle {
                SplitView.fillWidth: true
                color: Theme.sunken
                border.color: Theme.border

                Rectangle {
                    id: logHeader
                    width: parent.width
                    height: 26
                    color: Theme.well
                    border.color: Theme.border
                    Text {
                        x: 8
                        anchors.verticalCenter: parent.verticalCenter
                        text: "<b>Log</b>  <font color='" + Theme.textFaint + "'>"
                              + (page.jobState === States.job.running ? "live · " : "")
                              + (page.job.jobId ? "job " + page.job.jobId.slice(0, 8) : "")
                              + "</font>"
                        textFormat: Text.StyledText
                        color: Theme.text
                        font.family: Theme.font
                        font.pixelSize: Theme.normal
                    }
                    Row {
                        anchors.right: parent.right
                        anchors.rightMargin: 4
                        anchors.verticalCenter: parent.verticalCenter
                        spacing: 4
                        Choice {
                            implicitHeight: 22
                            value: Queue.logLevel
                            choices: [
                                { value: "", text: "All levels" },
                                { value: "INFO", text: "Info and up" },
                                { value: "WARNING", text: "Warnings and up" },
                                { value: "ERROR", text: "Errors" }
                            ]
                            onPicked: value => Queue.setLogLevel(value)
                        }
                        ActionButton {
                            id: follow
                            implicitHeight: 22
                            text: "Following"
                            mark: "⤓"
                            checkable: true
                            checked: true
                        }
                    }
                }
                ListView {
                    id: logView
                    anchors.fill: parent
                    anchors.topMargin: logHeader.height
                    anchors.margins: 1
                    clip: true
                    model: Queue.log
                    boundsBehavior: Flickable.StopAtBounds
                    ScrollBar.vertical: ScrollBar {}
                    delegate: LogLine {}
                    onCountChanged: if (follow.checked) positionViewAtEnd()
                    // Rows size to their records as they are laid out, and the pane to the
                    // window: following keeps the last record in view through both.
                    onContentHeightChanged: if (follow.checked) positionViewAtEnd()
                    onHeightChanged: if (follow.checked) positionViewAtEnd()
                }
            }
        }

        StatusBar {
            Layout.fillWidth: true
            dot: !Queue.hasExecutor ? Theme.idle : Queue.paused ? Theme.warning : Theme.running
            text: (!Queue.hasExecutor ? "Queue not running in this app"
                   : Queue.paused ? "Queue paused" : "Queue running")
                  + (Queue.hasExecutor ? "  ·  workers " + Queue.busyWorkers + " / "
                                         + Queue.workerSlots + " busy" : "")
                  + "  ·  " + (Queue.nextTitle ? "next up: " + Queue.nextTitle
                                               : "nothing queued")
                  + (App.message ? "  ·  " + App.message : "")

            ActionButton {
                text: Queue.paused ? "Resume" : "Pause"
                mark: Queue.paused ? "▶" : "❚❚"
                enabled: Queue.hasExecutor
                onClicked: Queue.paused ? Queue.resume() : Queue.pause()
            }
        }
    }

    // Run an action of the action bar on the selected job.
    function act(action) {
        switch (action) {
        case "cancel": return Queue.cancel()
        case "retryFailed": return Queue.retryFailed()
        case "retry": return Queue.retryAll()
        case "moveUp": return Queue.moveUp()
        case "moveDown": return Queue.moveDown()
        case "remove":  // asks first, about this job (the selection may move meanwhile)
            page.removing = { jobId: job.jobId, title: job.title }
            return
        case "openReport": return Queue.openReport()
        case "openFolder": return Queue.openFolder()
        }
    }

    // Where the selected job runs, for the Steps header: "on render-07 · queue
    // pyblish.maya.2025.linux" (", lost" once its node stopped answering, "ran on" once
    // it ended); "" for a job that never went to the farm.
    function whereText() {
        const parts = []
        if (job.node)
            parts.push((jobState === States.job.running ? "on " : "ran on ") + job.node
                       + (job.nodeState === "lost" ? ", lost" : ""))
        if (job.farmQueue)
            parts.push("queue " + job.farmQueue)
        return parts.join(" · ")
    }

    function stepSummary() {
        const c = job.stepCounts || {}
        const total = job.total || 0
        if (!total)
            return ""
        const parts = [(job.done || 0) + " / " + total + " done"]
        if (c.running)
            parts.push(c.running + " running")
        if (c.pending)
            parts.push(c.pending + (page.jobState === States.job.cancelled ? " cancelled"
                                    : page.jobState === States.job.failed ? " not run"
                                    : " queued"))
        if (c.waiting)
            parts.push(c.waiting + " waiting for farm")
        if (c.failed)
            parts.push(c.failed + " failed")
        return parts.join(" · ")
    }
}
