import QtQuick

// A small rounded count: "0 errors", "2 warnings" (tinted when count > 0).
Rectangle {
    id: chip

    property string text: ""
    property color tint: Theme.idle
    property bool lit: false

    implicitWidth: label.implicitWidth + 16
    implicitHeight: 20
    radius: 10
    color: lit ? Qt.rgba(tint.r, tint.g, tint.b, 0.75) : "transparent"
    border.color: lit ? tint : Theme.borderLight

    Text {
        id: label
        anchors.centerIn: parent
        text: chip.text
        color: chip.lit ? "#1e1e1e" : Theme.textDim
        font.family: Theme.font
        font.pixelSize: Theme.small
    }
}
