import QtQuick
import QtQuick.Controls.Basic as B
import QtQuick.Layouts
import PyblishQueue.Backend

// The Terminal tab: every record of this host's publish, a text filter and level toggles.
ColumnLayout {
    id: terminal

    spacing: 6

    RowLayout {
        Layout.fillWidth: true
        Layout.leftMargin: 6
        Layout.rightMargin: 6
        Layout.topMargin: 6
        spacing: 4

        SearchBox {
            objectName: "terminalFilter"
            Layout.preferredWidth: 260
            placeholderText: "Filter records..."
            text: Publish.textFilter
            onSearchEdited: text => Publish.setTextFilter(text)
        }
        Item {
            Layout.fillWidth: true
        }
        Row {
            spacing: -1
            Repeater {
                model: ["debug", "info", "warning", "error"]
                delegate: LevelToggle {
                    required property string modelData
                    objectName: "terminalLevel:" + modelData
                    level: modelData.toUpperCase()
                    on: Publish.levels[modelData] === true
                    onClicked: Publish.setLevel(modelData, !on)
                }
            }
        }
    }

    ListView {
        id: list
        objectName: "terminalList"
        Layout.fillWidth: true
        Layout.fillHeight: true
        clip: true
        model: Publish.records
        boundsBehavior: Flickable.StopAtBounds
        B.ScrollBar.vertical: B.ScrollBar {}
        onCountChanged: if (atYEnd || count < 3) positionViewAtEnd()

        delegate: Rectangle {
            id: line
            required property int index
            required property real time
            required property string level
            required property string source
            required property string instance
            required property string message
            required property string traceback

            width: ListView.view.width
            height: column.implicitHeight + 4
            color: level === "WARNING" ? Qt.rgba(0.89, 0.65, 0.25, 0.10)
                 : level === "ERROR" || level === "CRITICAL" ? Qt.rgba(0.88, 0.29, 0.29, 0.12)
                 : "transparent"

            Column {
                id: column
                x: 8
                y: 2
                width: parent.width - 16
                Row {
                    spacing: 10
                    Text {
                        width: 84
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
                        width: 220
                        text: line.source + (line.instance ? " · " + line.instance : "")
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
                Text {
                    visible: line.traceback !== ""
                    x: 60
                    width: parent.width - 60
                    text: line.traceback.trim()
                    wrapMode: Text.Wrap
                    color: Theme.textDim
                    font.family: Theme.mono
                    font.pixelSize: Theme.small
                }
            }
        }

        Text {
            anchors.centerIn: parent
            visible: list.count === 0
            text: "No records" + (Publish.textFilter ? " match the filter" : " yet")
            color: Theme.textFaint
            font.family: Theme.font
            font.pixelSize: Theme.normal
        }
    }
}
