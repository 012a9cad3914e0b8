import QtQuick
import QtQuick.Controls.Basic as B
import QtQuick.Layouts
import PyblishQueue.Backend

// A host's Publish page: breadcrumb back to the Overview, instances and plugins
// (or the Terminal, or one item's detail), the comment box, and the buttons:
// Reset, Validate, Publish / Stop and Publish in background.
Item {
    id: page

    readonly property var host: Publish.host
    readonly property var can: Publish.can
    property bool commenting: false

    objectName: "publishPage"

    // The comment box belongs to one host's page: another host's opens closed.
    Connections {
        target: Publish
        function onHostChanged() { page.commenting = false }
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // breadcrumb
        Rectangle {
            Layout.fillWidth: true
            Layout.margins: 6
            implicitHeight: 38
            color: Theme.panel
            border.color: Theme.border

            Row {
                x: 10
                anchors.verticalCenter: parent.verticalCenter
                spacing: 10
                Text {
                    text: "‹"
                    color: Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: 18
                    anchors.verticalCenter: parent.verticalCenter
                    TapHandler {
                        onTapped: App.showOverview()
                    }
                }
                Text {
                    objectName: "breadcrumbOverview"
                    text: "Overview"
                    color: Theme.running
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                    anchors.verticalCenter: parent.verticalCenter
                    TapHandler {
                        onTapped: App.showOverview()
                    }
                }
                Text {
                    text: "›"
                    color: Theme.textFaint
                    font.family: Theme.font
                    font.pixelSize: Theme.large
                    anchors.verticalCenter: parent.verticalCenter
                }
                Rectangle {
                    width: 18
                    height: 18
                    radius: 2
                    color: Theme.appColor(page.host.application || "")
                    anchors.verticalCenter: parent.verticalCenter
                    Text {
                        anchors.centerIn: parent
                        text: Theme.appLetter(page.host.application || "")
                        color: "#1e1e1e"
                        font.family: Theme.font
                        font.pixelSize: 10
                        font.bold: true
                    }
                }
                Text {
                    text: (Format.capital(page.host.application || "") + " " + (page.host.version || "")).trim()
                    color: Theme.text
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                    anchors.verticalCenter: parent.verticalCenter
                }
                Text {
                    text: "·"
                    color: Theme.textFaint
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                    anchors.verticalCenter: parent.verticalCenter
                }
                Text {
                    text: Publish.scene || "untitled"
                    color: Theme.text
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                    font.bold: true
                    anchors.verticalCenter: parent.verticalCenter
                }
            }

            Row {
                anchors.right: parent.right
                anchors.rightMargin: 8
                anchors.verticalCenter: parent.verticalCenter
                spacing: 14
                Text {
                    text: "pid " + (page.host.pid || "") + "   ·   " + (page.host.machine || "")
                          + "   ·   " + (page.host.user || "")
                    color: Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: Theme.small
                    anchors.verticalCenter: parent.verticalCenter
                }
                HostStatePill {
                    objectName: "publishStatePill"
                    anchors.verticalCenter: parent.verticalCenter
                    hostState: page.host.state || States.host.connected
                    validated: page.host.validated === true
                    interrupted: page.host.interrupted || ""
                    gone: !page.host.connected
                }
            }
        }

        // tabs: the lists (funnel) and the Terminal
        Row {
            Layout.fillWidth: true
            Layout.leftMargin: 2
            PageTab {
                objectName: "publishTab:items"
                implicitWidth: 68
                current: Publish.tab === "items"
                onClicked: Publish.setTab("items")
                Canvas {
                    anchors.centerIn: parent
                    width: 14
                    height: 14
                    property bool lit: parent.current
                    onLitChanged: requestPaint()
                    onPaint: {
                        const ctx = getContext("2d")
                        ctx.reset()
                        ctx.fillStyle = lit ? Theme.text : Theme.textDim
                        ctx.beginPath()
                        ctx.moveTo(0, 1)
                        ctx.lineTo(14, 1)
                        ctx.lineTo(8.5, 7)
                        ctx.lineTo(8.5, 13)
                        ctx.lineTo(5.5, 11)
                        ctx.lineTo(5.5, 7)
                        ctx.closePath()
                        ctx.fill()
                    }
                }
            }
            PageTab {
                objectName: "publishTab:terminal"
                text: "Terminal"
                implicitWidth: 92
                current: Publish.tab === "terminal"
                onClicked: Publish.setTab("terminal")
            }
        }

        // the lists, the Terminal or a detail page
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.leftMargin: 6
            Layout.rightMargin: 6
            Layout.bottomMargin: 6
            color: Theme.well
            border.color: Theme.border

            StackLayout {
                anchors.fill: parent
                anchors.margins: 1
                currentIndex: Publish.detailOpen ? 2 : Publish.tab === "terminal" ? 1 : 0

                Item {
                    InstanceList {
                        id: instanceList
                        anchors.left: parent.left
                        anchors.top: parent.top
                        anchors.bottom: parent.bottom
                        anchors.topMargin: 6
                        width: Math.round(parent.width * 0.4)
                    }
                    Rectangle {
                        x: instanceList.width
                        width: 1
                        height: parent.height
                        color: Theme.border
                    }
                    PluginList {
                        anchors.left: instanceList.right
                        anchors.leftMargin: 1
                        anchors.right: parent.right
                        anchors.top: parent.top
                        anchors.bottom: parent.bottom
                        anchors.topMargin: 6
                    }
                }

                TerminalView {}

                ItemDetail {}
            }
        }

        CommentBox {
            Layout.fillWidth: true
            visible: page.commenting
        }

        StatusBar {
            id: footer
            Layout.fillWidth: true
            objectName: "publishStatus"
            text: Publish.status + (Publish.notice ? "  ·  " + Publish.notice : "")
            dot: Publish.statusState === States.host.failed ? Theme.error
               : Publish.statusState === States.job.running ? Theme.running
               : Publish.statusState === States.host.handedOff ? Theme.handedOff
               : Publish.statusState === States.host.finished ? Theme.success
               : Publish.statusState === States.job.interrupted ? Theme.warning : Theme.idle

            ActionButton {
                objectName: "publishButton:comment"
                text: "✎"
                checkable: true
                checked: page.commenting
                enabled: page.can.comment === true
                onClicked: page.commenting = !page.commenting
                tip: "Comment"
            }
            ActionButton {
                objectName: "publishButton:reset"
                text: "↻"
                enabled: page.can.reset === true
                onClicked: Publish.reset()
                tip: "Reset: collect again"
            }
            ActionButton {
                objectName: "publishButton:validate"
                text: "⚗"
                enabled: page.can.validate === true
                onClicked: Publish.validate()
                tip: "Validate"
            }
            ActionButton {
                objectName: "publishButton:publish"
                visible: page.can.stop !== true
                text: "▶"
                enabled: page.can.publish === true
                onClicked: Publish.publish()
                tip: "Publish here, in this host"
            }
            ActionButton {
                objectName: "publishButton:stop"
                visible: page.can.stop === true
                text: "■"
                onClicked: Publish.stop()
                tip: "Stop after the running step"
            }
            ActionButton {
                id: background
                objectName: "publishButton:handoff"
                text: Publish.handingOff ? "Handing off…" : "Publish in background"
                mark: "⇶"
                accent: available
                available: page.can.handoff === true
                whyNot: Publish.handoffWhyNot
                onClicked: Publish.publishInBackground()
                tip: "Hand extraction and integration to the queue; free this "
                                + (page.host.application || "host") + " session now"
            }
        }
    }
}
