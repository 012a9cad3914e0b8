import QtQuick

// A thin progress bar: value 0..1 in the given colour over a dark track.
Rectangle {
    id: bar

    property real value: 0
    property color tint: Theme.running

    implicitHeight: 6
    implicitWidth: 100
    radius: 1
    color: Theme.sunken
    border.color: Theme.border

    Rectangle {
        x: 1
        y: 1
        height: parent.height - 2
        width: Math.max(0, Math.min(1, bar.value)) * (parent.width - 2)
        radius: 1
        color: bar.tint
    }
}
