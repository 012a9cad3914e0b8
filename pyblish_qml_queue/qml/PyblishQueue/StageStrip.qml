import QtQuick
import PyblishQueue.Backend

// Collect / Validate / Extract / Integrate, each a bar with its label, coloured by
// how far the host got: done, current, failed, handed off (dashed) or not reached.
Item {
    id: strip

    property string hostState: States.host.connected
    property string stage: ""
    property int errors: 0
    property bool validated: false
    property bool faded: false
    // Steps run so far: after a collection (the hub then names no stage) Collect is done.
    property int done: 0

    readonly property var stages: States.stages

    // How far the host got in one stage.
    enum Cell { NotReached, Done, Current, Failed, Handed }

    implicitHeight: 30

    function status(n) {
        const at = stages.indexOf(stage)
        if (hostState === States.host.finished)
            return StageStrip.Cell.Done
        if (hostState === States.host.handedOff)
            return n < 2 ? StageStrip.Cell.Done : StageStrip.Cell.Handed
        if (at < 0)
            return (validated && n < 2) || (n === 0 && done > 0) ? StageStrip.Cell.Done
                                                                 : StageStrip.Cell.NotReached
        if (at === 0 && n === 0 && hostState === States.host.connected && done > 0)
            return StageStrip.Cell.Done  // collected, and nothing runs now
        if (n < at)
            return StageStrip.Cell.Done
        if (n > at)
            return StageStrip.Cell.NotReached
        if (hostState === States.host.failed || (errors > 0 && at === 1))  // 1: validate
            return StageStrip.Cell.Failed
        if (hostState === States.host.disconnected)
            return StageStrip.Cell.NotReached
        return StageStrip.Cell.Current
    }

    function tint(s) {
        if (strip.faded)
            return s === StageStrip.Cell.Done ? Qt.darker(Theme.success, 1.8) : Theme.borderLight
        switch (s) {
        case StageStrip.Cell.Done: return Theme.success
        case StageStrip.Cell.Current: return Theme.running
        case StageStrip.Cell.Failed: return Theme.error
        case StageStrip.Cell.Handed: return Theme.handedOff
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
                readonly property int status: strip.status(index)
                width: (strip.width - 12) / 4
                height: strip.height

                Rectangle {
                    width: parent.width
                    height: 3
                    visible: cell.status !== StageStrip.Cell.Handed
                    color: strip.tint(cell.status)
                }
                Row {
                    visible: cell.status === StageStrip.Cell.Handed
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
                    color: cell.status === StageStrip.Cell.NotReached
                           ? Theme.textFaint : strip.tint(cell.status)
                    font.family: Theme.font
                    font.pixelSize: Theme.normal
                }
            }
        }
    }
}
