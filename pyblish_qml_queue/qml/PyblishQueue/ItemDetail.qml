import QtQuick
import QtQuick.Controls.Basic as B
import QtQuick.Layouts
import PyblishQueue.Backend

// The detail page of one context, instance or plugin: its data, every result
// with its records, and errors with their traceback.
Rectangle {
    id: page

    readonly property var detail: Publish.detail

    objectName: "itemDetail"
    color: Theme.well

    ColumnLayout {
        anchors.fill: parent
        anchors.margins: 8
        spacing: 8

        RowLayout {
            spacing: 8
            ActionButton {
                objectName: "detailBack"
                text: "Back"
                mark: "‹"
                onClicked: Publish.closeDetail()
            }
            Rectangle {
                width: 10
                height: 10
                radius: 5
                color: Theme.itemColor(page.detail.state || States.item.idle)
            }
            Text {
                text: page.detail.name || ""
                color: Theme.text
                font.family: Theme.font
                font.pixelSize: Theme.large
                font.bold: true
            }
            Text {
                text: (page.detail.kind || "") + (page.detail.families ? " · " + page.detail.families : "")
                color: Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
        }

        Flickable {
            Layout.fillWidth: true
            Layout.fillHeight: true
            clip: true
            contentWidth: width
            contentHeight: body.implicitHeight
            boundsBehavior: Flickable.StopAtBounds
            B.ScrollBar.vertical: B.ScrollBar {}

            Column {
                id: body
                width: parent.width
                spacing: 10

                Text {
                    visible: (page.detail.doc || "") !== ""
                    width: parent.width
                    text: page.detail.doc || ""
                    wrapMode: Text.Wrap
                    color: Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }

                Text {
                    text: "Data"
                    color: Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                    font.bold: true
                }
                Column {
                    width: parent.width
                    Repeater {
                        model: page.detail.data || []
                        delegate: Row {
                            required property var modelData
                            spacing: 12
                            Text {
                                width: 140
                                text: parent.modelData.key
                                elide: Text.ElideRight
                                color: Theme.textDim
                                font.family: Theme.mono
                                font.pixelSize: Theme.small
                            }
                            Text {
                                width: body.width - 160
                                text: parent.modelData.value
                                elide: Text.ElideRight
                                color: Theme.text
                                font.family: Theme.mono
                                font.pixelSize: Theme.small
                            }
                        }
                    }
                }

                Text {
                    text: "Results (" + (page.detail.results || []).length + ")"
                    color: Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                    font.bold: true
                }
                Text {
                    visible: (page.detail.results || []).length === 0
                    text: "Not processed yet."
                    color: Theme.textFaint
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
                Repeater {
                    model: page.detail.results || []
                    delegate: Rectangle {
                        id: result
                        required property var modelData
                        objectName: "detailResult"
                        width: body.width
                        height: lines.implicitHeight + 10
                        color: Theme.sunken
                        border.color: modelData.state === States.item.error ? Theme.error : Theme.border
                        Column {
                            id: lines
                            x: 8
                            y: 5
                            width: parent.width - 16
                            spacing: 2
                            Row {
                                spacing: 8
                                Rectangle {
                                    width: 8
                                    height: 8
                                    radius: 4
                                    anchors.verticalCenter: parent.verticalCenter
                                    color: Theme.itemColor(result.modelData.state)
                                }
                                Text {
                                    text: result.modelData.label
                                          + (result.modelData.instance ? " · " + result.modelData.instance : "")
                                          + (result.modelData.kind !== "process" ? "  (" + result.modelData.kind + ")" : "")
                                    color: Theme.text
                                    font.family: Theme.font
                                    font.pixelSize: Theme.normal
                                }
                                Text {
                                    text: result.modelData.duration
                                    color: Theme.textFaint
                                    font.family: Theme.font
                                    font.pixelSize: Theme.small
                                }
                            }
                            Repeater {
                                model: result.modelData.records
                                delegate: Text {
                                    required property var modelData
                                    width: lines.width
                                    wrapMode: Text.Wrap
                                    text: (modelData.level === "WARNING" ? "WARN" : modelData.level)
                                          + "  " + modelData.message
                                    color: Theme.levelColor(modelData.level)
                                    font.family: Theme.mono
                                    font.pixelSize: Theme.small
                                }
                            }
                            Text {
                                objectName: "detailError"
                                visible: result.modelData.error !== ""
                                width: lines.width
                                wrapMode: Text.Wrap
                                text: result.modelData.error
                                color: Theme.error
                                font.family: Theme.font
                                font.pixelSize: Theme.normal
                            }
                            Text {
                                objectName: "detailTraceback"
                                visible: result.modelData.traceback !== ""
                                width: lines.width
                                wrapMode: Text.Wrap
                                text: result.modelData.traceback.trim()
                                color: Theme.textDim
                                font.family: Theme.mono
                                font.pixelSize: Theme.small
                            }
                        }
                    }
                }
            }
        }
    }
}
