import QtQuick
import QtQuick.Layouts
import PyblishQueue.Backend

// Stand-in for a host's Publish page (its own issue): a breadcrumb back and the
// host's state as the Overview knows it. It does not drive the host.
Item {
    id: page

    readonly property var host: App.currentHost
    readonly property var progress: host.progress || ({ done: 0, total: 0 })
    readonly property var current: host.current || ({ plugin: "", instance: "" })

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 16
        spacing: 12

        Row {
            spacing: 8
            Text {
                text: "<u>Overview</u>"
                textFormat: Text.StyledText
                color: Theme.running
                font.family: Theme.font
                font.pixelSize: Theme.large
                TapHandler {
                    onTapped: App.showOverview()
                }
            }
            Text {
                text: "›  " + (page.host.application || "") + " " + (page.host.version || "")
                      + "  ·  pid " + (page.host.pid || "")
                color: Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.large
            }
        }

        Text {
            text: "Publish page for " + (page.host.application || "this host") + " "
                  + (page.host.version || "") + " (pid " + (page.host.pid || "?") + ")"
            color: Theme.text
            font.family: Theme.font
            font.pixelSize: 18
            font.bold: true
        }

        Text {
            Layout.fillWidth: true
            wrapMode: Text.WordWrap
            text: "Instances, plugins, Validate and Publish for this host are not in this "
                  + "version of the app yet. Below is the host's state as the hub reports it."
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }

        Column {
            spacing: 6
            Repeater {
                model: [
                    ["State", page.host.state || ""],
                    ["Machine", page.host.machine || ""],
                    ["User", page.host.user || ""],
                    ["Scene", page.host.scene || ""],
                    ["Progress", page.progress.done + " / " + page.progress.total + " steps"],
                    ["Current", (page.current.plugin || "") + (page.current.instance
                                 ? " · " + page.current.instance : "")],
                    ["Errors", "" + (page.host.errors || 0)],
                    ["Warnings", "" + (page.host.warnings || 0)],
                    ["Queue job", page.host.job_id || ""]
                ]
                delegate: Row {
                    id: field
                    required property var modelData
                    Text {
                        width: 100
                        text: field.modelData[0]
                        color: Theme.textDim
                        font.family: Theme.font
                        font.pixelSize: Theme.normal
                    }
                    Text {
                        text: field.modelData[1]
                        color: Theme.text
                        font.family: Theme.font
                        font.pixelSize: Theme.normal
                    }
                }
            }
        }

        StageStrip {
            Layout.preferredWidth: 480
            hostState: page.host.state || "connected"
            stage: page.host.stage || ""
            errors: page.host.errors || 0
            validated: page.host.validated || false
        }

        Bar {
            Layout.preferredWidth: 480
            value: page.progress.total ? page.progress.done / page.progress.total : 0
        }

        Column {
            Layout.fillWidth: true
            spacing: 2
            Repeater {
                model: page.host.log_tail || []
                delegate: Text {
                    required property string modelData
                    text: modelData
                    color: Theme.text
                    font.family: Theme.mono
                    font.pixelSize: Theme.small
                }
            }
        }

        Item {
            Layout.fillHeight: true
        }
    }
}
