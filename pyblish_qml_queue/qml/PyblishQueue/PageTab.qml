import QtQuick
import QtQuick.Controls.Basic as B

// A page tab of the header: text, an optional count badge, a blue underline when current.
B.AbstractButton {
    id: tab

    property bool current: false
    property int count: 0
    property string mark: ""

    implicitWidth: row.implicitWidth + 44
    implicitHeight: 40
    hoverEnabled: true
    focusPolicy: Qt.NoFocus

    background: Rectangle {
        color: tab.current ? Theme.panel : tab.hovered ? Theme.panelHover : Theme.chrome
        border.color: Theme.border
        Rectangle {
            anchors.left: parent.left
            anchors.right: parent.right
            anchors.bottom: parent.bottom
            anchors.margins: 1
            height: 2
            color: Theme.running
            visible: tab.current
        }
    }

    contentItem: Item {
        Row {
            id: row
            anchors.centerIn: parent
            spacing: 8
            Text {
                text: tab.mark
                visible: tab.mark !== ""
                color: Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.large
                anchors.verticalCenter: parent.verticalCenter
            }
            Text {
                text: tab.text
                color: tab.current ? Theme.text : Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.large
                anchors.verticalCenter: parent.verticalCenter
            }
            Rectangle {
                visible: tab.count > 0
                width: badge.implicitWidth + 10
                height: 18
                radius: 9
                color: Theme.sunken
                anchors.verticalCenter: parent.verticalCenter
                Text {
                    id: badge
                    anchors.centerIn: parent
                    text: tab.count
                    color: Theme.textDim
                    font.family: Theme.font
                    font.pixelSize: Theme.small
                }
            }
        }
    }
}
