import QtQuick
import PyblishQueue.Backend

// A host's state as its card and its Publish page both show it: "Validated" once
// validation passed, "Stopped" when the app's restart stopped its publish, else the state.
StatePill {
    property string hostState: States.host.connected
    property bool validated: false
    property string interrupted: ""
    property bool gone: false

    readonly property bool ready: hostState === States.host.connected

    text: gone ? Format.capital(States.host.disconnected)
        : ready && interrupted !== "" ? "Stopped"
        : ready && validated ? "Validated"
        : Format.capital(hostState)
    mark: gone ? "●"
        : ready && interrupted !== "" ? "❚❚"
        : ready && validated ? "✓"
        : hostState === States.host.finished ? "✓"
        : hostState === States.host.failed ? "✕"
        : hostState === States.host.handedOff ? "⇥" : "●"
    tint: gone ? Theme.idle
        : ready && interrupted !== "" ? Theme.warning
        : ready && validated ? Theme.success
        : Theme.stateColor(hostState)
    faded: gone
}
