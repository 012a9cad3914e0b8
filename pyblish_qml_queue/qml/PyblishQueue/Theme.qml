pragma Singleton
import QtQuick
import PyblishQueue.Backend

// The dark palette of pyblish-qml, and the state colours of our pages.
QtObject {
    readonly property color background: "#363636"
    readonly property color chrome: "#404040"
    readonly property color panel: "#444444"
    readonly property color panelHover: "#4a4a4a"
    readonly property color well: "#383838"
    readonly property color sunken: "#303030"
    readonly property color border: "#2a2a2a"
    readonly property color borderLight: "#575757"
    readonly property color selection: "#4b5866"
    readonly property color text: "#e2e2e2"
    readonly property color textDim: "#a0a0a0"
    readonly property color textFaint: "#767676"

    readonly property color running: "#3b9be3"
    readonly property color success: "#80b52a"
    readonly property color error: "#e04b4b"
    readonly property color warning: "#e3a540"
    readonly property color waiting: "#a282e6"
    readonly property color handedOff: "#47bda9"
    readonly property color idle: "#8c8c8c"

    readonly property string font: "DejaVu Sans"
    readonly property string mono: "DejaVu Sans Mono"
    readonly property int small: 11
    readonly property int normal: 12
    readonly property int large: 14

    // Colour of a host or job state.
    function stateColor(state) {
        switch (state) {
        case States.host.collecting:
        case States.host.validating:
        case States.host.extracting:
        case States.host.integrating:
        case States.job.running:
            return running
        case States.host.finished:
        case States.job.succeeded:
            return success
        case States.job.failed:
            return error
        case States.host.handedOff:
            return handedOff
        case States.job.waiting:
            return waiting
        case States.job.interrupted:
            return warning
        default:
            return idle
        }
    }

    // Colour of a Publish page row's state (States.item).
    function itemColor(state) {
        switch (state) {
        case States.item.processing: return running
        case States.item.success: return success
        case States.item.warning: return warning
        case States.item.error: return error
        default: return idle
        }
    }

    // Colour of a log level word.
    function levelColor(level) {
        if (level === "ERROR" || level === "CRITICAL")
            return error
        if (level === "WARNING" || level === "WARN")
            return warning
        if (level === "DEBUG")
            return textFaint
        return running
    }

    // First letters shown in an application's badge, and its colour.
    function appLetter(application) {
        const a = (application || "").toLowerCase()
        if (a.indexOf("python") >= 0)
            return "Py"
        return a.length ? application.charAt(0).toUpperCase() : "?"
    }

    function appColor(application) {
        const a = (application || "").toLowerCase()
        if (a.indexOf("maya") >= 0)
            return "#2f9f8f"
        if (a.indexOf("houdini") >= 0)
            return "#e06a2c"
        if (a.indexOf("nuke") >= 0)
            return "#d8b622"
        if (a.indexOf("python") >= 0)
            return "#3f79b8"
        if (a.indexOf("blender") >= 0)
            return "#e8872c"
        return "#7a7a7a"
    }
}
