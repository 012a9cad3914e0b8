import QtQuick

// Collect / Validate / Extract / Integrate, each a bar with its label, coloured by
// how far the host got: done, current, failed, handed off (dashed) or not reached.
Item {
    id: strip

    property string hostState: "connected"
    property string stage: ""
    property int errors: 0
    property bool validated: false
    property bool faded: false

    readonly property var stages: ["collect", "validate", "extract", "integrate"]

    implicitHeight: 30

    function status(n) {
        const at = stages.indexOf(stage)
        if (hostState === "finished")
            return "done"
        if (hostState === "handed off")
            return n < 2 ? "done" : "handed"
        if (at < 0)
            return validated && n < 2 ? "done" : "idle"
        if (n < at)
            return "done"
        if (n > at)
            return "idle"
        if (hostState === "failed" || (errors > 0 && stage === "validate"))
            return "failed"
        if (hostState === "disconnected")
            return "idle"
        return "current"
    }

    function tint(s) {
        if (strip.faded)
            return s === "done" ? Qt.darker(Theme.success, 1.8) : Theme.borderLight
        switch (s) {
        case "done": return Theme.success
        case "current": return Theme.running
        case "failed": return Theme.error
        case "handed": return Theme.handedOff
        default: return Theme.sunken
        }
    }

    Row {
        anchors.fill: parent
        spacing: 4
        Repeater {
            model: strip.stages
            delegate: Item {
                id: cell
                required property int index
                required property string modelData
                readonly property string status: strip.status(index)
                width: (strip.width - 12) / 4
                height: strip.height

                Rectangle {
                    width: parent.width
                    height: 3
                    visible: cell.status !== "handed"
                    color: strip.tint(cell.status)
                }
                Row {
                    visible: cell.status === "handed"
                    spacing: 3
                    clip: true
                    width: parent.width
                    Repeater {
                        model: Math.ceil(cell.width / 9)
                        delegate: Rectangle { width: 6; height: 3; color: Theme.handedOff }
                    }
                }
                Text {
                    y: 8
                    text: Format.capital(cell.modelData)
                    color: cell.status === "idle" ? Theme.textFaint : strip.tint(cell.status)
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
            }
        }
    }
}
