import QtQuick
import QtQuick.Controls.Basic as B

// A flat dark button with an optional leading mark, as in pyblish-qml's footer.
// tip: its tooltip on hover. A button that is not available (available: false) looks
// disabled and takes no click, yet still says why on hover (whyNot). A press hides the
// tip until the pointer leaves, and a button that hides takes its tip with it.
B.Button {
    id: control

    property string mark: ""
    property bool accent: false
    property string tip: ""
    property bool available: true
    property string whyNot: ""

    readonly property bool live: enabled && available
    readonly property string tipText: available ? tip : whyNot
    readonly property bool pointerIn: available ? hovered : blocker.containsMouse
    property bool tipHidden: false
    readonly property bool tipShown: tipText !== "" && visible && pointerIn && !tipHidden

    implicitHeight: 26
    leftPadding: 10
    rightPadding: 10
    hoverEnabled: true
    focusPolicy: Qt.NoFocus

    onPressedChanged: if (pressed) tipHidden = true
    onPointerInChanged: if (!pointerIn) tipHidden = false

    B.ToolTip.visible: tipShown
    B.ToolTip.text: tipText
    B.ToolTip.delay: 500

    contentItem: Text {
        text: (control.mark ? control.mark + (control.text ? "  " : "") : "") + control.text
        color: control.live ? Theme.text : Theme.textFaint
        font.family: Theme.font
        font.pixelSize: Theme.normal
        horizontalAlignment: Text.AlignHCenter
        verticalAlignment: Text.AlignVCenter
        elide: Text.ElideRight
    }

    background: Rectangle {
        radius: 2
        color: !control.live ? "transparent"
             : control.down ? Theme.sunken
             : control.checked || control.accent ? Theme.selection
             : control.hovered ? Theme.panelHover : Theme.panel
        border.color: control.live ? Theme.borderLight : Theme.panel
    }

    // Over a button that is not available: takes its clicks, shows why on hover.
    MouseArea {
        id: blocker
        objectName: "unavailable"
        z: 10
        anchors.fill: parent
        visible: control.enabled && !control.available
        hoverEnabled: true
        acceptedButtons: Qt.AllButtons
        onPressed: control.tipHidden = true
    }
}
