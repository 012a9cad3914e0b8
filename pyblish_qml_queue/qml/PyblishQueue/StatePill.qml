import QtQuick

// A state label in a tinted, outlined box: "● Extracting", "✓ Succeeded".
Rectangle {
    id: pill

    property string text: ""
    property color tint: Theme.idle
    property string mark: "●"
    property bool faded: false

    implicitWidth: label.implicitWidth + 14
    implicitHeight: 20
    radius: 2
    color: Qt.rgba(tint.r, tint.g, tint.b, faded ? 0.05 : 0.16)
    border.color: Qt.rgba(tint.r, tint.g, tint.b, faded ? 0.3 : 0.75)
    border.width: 1

    Text {
        id: label
        anchors.centerIn: parent
        text: (pill.mark ? pill.mark + " " : "") + pill.text
        color: pill.faded ? Theme.textFaint : Qt.lighter(pill.tint, 1.25)
        font.family: Theme.font
        font.pixelSize: Theme.small
    }
}
