import QtQuick

// The strip at the bottom of a page: a status text on the left, buttons on the right.
Rectangle {
    id: bar

    default property alias buttons: right.data
    property string text: ""
    property color dot: Theme.success

    implicitHeight: 40
    color: Theme.chrome
    border.color: Theme.border

    // The text ends before the buttons: it elides rather than running under them.
    Row {
        anchors.left: parent.left
        anchors.leftMargin: 14
        anchors.verticalCenter: parent.verticalCenter
        width: right.x - 14 - 12
        spacing: 8
        Rectangle {
            width: 8
            height: 8
            radius: 4
            color: bar.dot
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            objectName: "statusText"
            width: parent.width - 16
            text: bar.text
            elide: Text.ElideRight
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.normal
            textFormat: Text.StyledText
            anchors.verticalCenter: parent.verticalCenter
        }
    }

    Row {
        id: right
        anchors.right: parent.right
        anchors.rightMargin: 8
        anchors.verticalCenter: parent.verticalCenter
        spacing: 4
    }
}
