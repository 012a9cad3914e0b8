import QtQuick
import QtQuick.Controls.Basic as B

// A flat dark button with an optional leading mark, as in pyblish-qml's footer.
B.Button {
    id: control

    property string mark: ""
    property bool accent: false

    implicitHeight: 26
    leftPadding: 10
    rightPadding: 10
    hoverEnabled: true
    focusPolicy: Qt.NoFocus

    contentItem: Text {
        text: (control.mark ? control.mark + (control.text ? "  " : "") : "") + control.text
        color: control.enabled ? Theme.text : Theme.textFaint
        font.family: Theme.font
        font.pixelSize: Theme.normal
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }

    background: Rectangle {
        radius: 2
        color: !control.enabled ? "transparent"
             : control.down ? Theme.sunken
             : control.checked || control.accent ? Theme.selection
             : control.hovered ? Theme.panelHover : Theme.panel
        border.color: control.enabled ? Theme.borderLight : Theme.panel
    }
}
