import QtQuick
import QtQuick.Controls.Basic as B
import QtQuick.Layouts

// The selected job's action buttons. What is enabled is decided in Python
// (Queue.can, from queue/rules.allowed_actions); a click asks for the action by its key.
// Where the labels do not fit in `maxWidth`, the buttons show their marks only, each
// with its label as a tooltip, so every action stays on screen at the window's minimum.
RowLayout {
    id: bar

    // cancel, retryFailed, retry, moveUp, moveDown, remove, openReport, openFolder -> bool
    property var can: ({})
    property real maxWidth: Infinity
    readonly property bool compact: labelled.implicitWidth > maxWidth
    signal actionRequested(string action)

    readonly property var actions: [
        { key: "cancel", text: "Cancel", mark: "✕" },
        { key: "retryFailed", text: "Retry failed steps", mark: "↻" },
        { key: "retry", text: "Retry all", mark: "⟳" },
        { key: "moveUp", text: "Move up", mark: "↑" },
        { key: "moveDown", text: "Move down", mark: "↓" },
        { key: "remove", text: "Remove", mark: "−" },
        { key: "openReport", text: "Open report", mark: "▤" },
        { key: "openFolder", text: "Open folder", mark: "▭" }
    ]

    spacing: 4

    // The width the buttons take with their labels (never shown).
    Row {
        id: labelled
        visible: false
        spacing: bar.spacing
        Repeater {
            model: bar.actions
            delegate: ActionButton {
                required property var modelData
                text: modelData.text
                mark: modelData.mark
            }
        }
    }

    Repeater {
        model: bar.actions
        delegate: ActionButton {
            required property var modelData
            objectName: "queueAction:" + modelData.key
            text: bar.compact ? "" : modelData.text
            mark: modelData.mark
            enabled: bar.can[modelData.key] === true
            onClicked: bar.actionRequested(modelData.key)
            tip: bar.compact ? modelData.text : ""
        }
    }
}
