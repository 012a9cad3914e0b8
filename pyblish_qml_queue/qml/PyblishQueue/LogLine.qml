import QtQuick

// One log record: time, level, source, message, in the terminal's mono font. The row
// sizes to its text: long lines wrap, and a multi-line record (a traceback, a block of
// worker output) shows its headline with "+N lines" until clicked open. Errors start
// open, so a failed step's error reads at a glance.
Rectangle {
    id: line

    required property int index
    required property real time
    required property string level
    required property string source
    required property string message

    readonly property bool isError: level === "ERROR" || level === "CRITICAL"
    readonly property int lineCount: Format.lineCount(message)
    readonly property bool multiLine: lineCount > 1
    property bool expanded: isError
    readonly property string shownText: !multiLine ? message
        : expanded ? message.replace(/\s+$/, "")
        : Format.headline(message)

    objectName: "logLine:" + index
    width: ListView.view ? ListView.view.width : 400
    height: Math.max(19, body.implicitHeight + 4)
    color: level === "WARNING" || level === "WARN" ? Qt.rgba(0.89, 0.65, 0.25, 0.10)
         : isError ? Qt.rgba(0.88, 0.29, 0.29, 0.12)
         : "transparent"

    Rectangle {
        visible: line.isError
        width: 3
        height: parent.height
        color: Theme.error
    }

    TapHandler {
        enabled: line.multiLine
        onTapped: line.expanded = !line.expanded
    }

    Row {
        id: head
        x: 8
        y: 2
        spacing: 10
        Text {
            width: 84
            text: Format.clockMs(line.time)
            color: Theme.textDim
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            width: 40
            text: line.level === "WARNING" ? "WARN" : line.level
            color: Theme.levelColor(line.level)
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            width: line.width < 560 ? 64 : 110  // a narrow log leaves its room to the message
            text: line.source
            elide: Text.ElideRight
            color: Theme.textDim
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            objectName: "expander"
            width: 10
            text: line.multiLine ? (line.expanded ? "▾" : "▸") : ""
            color: Theme.textDim
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
    }

    Item {
        id: body
        readonly property bool collapsed: line.multiLine && !line.expanded
        x: head.x + head.width + 4
        y: 2
        width: Math.max(80, line.width - x - 8)
        implicitHeight: messageText.implicitHeight
        Text {
            id: messageText
            objectName: "message"
            width: parent.width - (body.collapsed ? more.implicitWidth + 12 : 0)
            text: line.shownText
            textFormat: Text.PlainText
            wrapMode: body.collapsed ? Text.NoWrap : Text.WrapAtWordBoundaryOrAnywhere
            elide: body.collapsed ? Text.ElideRight : Text.ElideNone
            color: line.isError ? "#f08a8a" : Theme.text
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
        Text {
            id: more
            objectName: "moreLines"
            anchors.right: parent.right
            visible: body.collapsed
            text: "+" + (line.lineCount - 1) + " lines"
            color: Theme.textFaint
            font.family: Theme.mono
            font.pixelSize: Theme.small
        }
    }
}
