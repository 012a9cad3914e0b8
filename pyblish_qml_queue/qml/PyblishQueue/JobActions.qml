import QtQuick
import QtQuick.Layouts

// The selected job's action buttons. What is enabled is decided in Python
// (Queue.can, from queue/rules.allowed_actions); a click asks for the action by its key.
RowLayout {
    id: bar

    // cancel, retryFailed, retry, moveUp, moveDown, remove, openReport, openFolder -> bool
    property var can: ({})
    signal actionRequested(string action)

    readonly property var actions: [
        { key: "cancel", text: "Cancel", mark: "✕" },
        { key: "retryFailed", text: "Retry failed steps", mark: "↻" },
        { key: "retry", text: "Retry all", mark: "↻" },
        { key: "moveUp", text: "Move up", mark: "↑" },
        { key: "moveDown", text: "Move down", mark: "↓" },
        { key: "remove", text: "Remove", mark: "−" },
        { key: "openReport", text: "Open report", mark: "▤" },
        { key: "openFolder", text: "Open folder", mark: "▭" }
    ]

    spacing: 4

    Repeater {
        model: bar.actions
        delegate: ActionButton {
            required property var modelData
            objectName: "queueAction:" + modelData.key
            text: modelData.text
            mark: modelData.mark
            enabled: bar.can[modelData.key] === true
            onClicked: bar.actionRequested(modelData.key)
        }
    }
}
