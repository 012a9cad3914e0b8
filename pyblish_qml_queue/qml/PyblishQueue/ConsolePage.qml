import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import PyblishQueue.Backend

// The app's own log: level toggles with counts, a source choice, a text or /regex/ filter,
// the lines (following new ones), and copy / save of what is shown.
Item {
    id: page

    function compact(n) {
        if (n < 1000)
            return "" + n
        if (n < 100000)
            return (n / 1000).toFixed(1) + "k"
        return Math.round(n / 1000) + "k"
    }

    function grouped(n) {
        return Number(n).toLocaleString(Qt.locale("en_US"), "f", 0)
    }

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // filters
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            spacing: 8

            Text {
                text: "Level"
                color: Theme.textFaint
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
            Row {
                spacing: -1
                Repeater {
                    model: ["DEBUG", "INFO", "WARNING", "ERROR"]
                    delegate: LevelToggle {
                        required property string modelData
                        level: modelData
                        on: Console.levels.indexOf(modelData) >= 0
                        count: (Console.counts[modelData] || 0) > 0
                               ? page.compact(Console.counts[modelData]) : ""
                        objectName: "consoleLevel:" + modelData
                        onClicked: Console.toggleLevel(modelData)
                    }
                }
            }
            Item {
                implicitWidth: 4
            }
            Choice {
                objectName: "consoleSource"
                label: "Source"
                value: Console.source
                choices: [{ value: "", text: "All" }].concat(
                    Console.sources.map(s => ({ value: s, text: s })))
                onPicked: value => Console.setSource(value)
            }
            Item {
                Layout.fillWidth: true
            }
            Text {
                visible: Console.searchError !== ""
                text: Console.searchError
                color: Theme.error
                font.family: Theme.font
                font.pixelSize: Theme.small
            }
            SearchBox {
                objectName: "consoleSearch"
                Layout.preferredWidth: 220
                placeholderText: "Filter lines — text or /regex/"
                onSearchEdited: text => Console.setSearch(text)
            }
        }

        // the lines
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            Layout.bottomMargin: 8
            color: Theme.sunken
            border.color: Theme.border

            ListView {
                id: view
                objectName: "consoleLines"
                anchors.fill: parent
                anchors.margins: 1
                clip: true
                model: Console.lines
                boundsBehavior: Flickable.StopAtBounds
                reuseItems: true
                delegate: ConsoleLine {}
                ScrollBar.vertical: ScrollBar {
                    policy: ScrollBar.AlwaysOn
                }
                onCountChanged: if (Console.follow) Qt.callLater(view.positionViewAtEnd)
                onMovementStarted: Console.setFollow(false)
                onMovementEnded: if (view.atYEnd) Console.setFollow(true)
                Component.onCompleted: positionViewAtEnd()
                Connections {
                    target: Console
                    function onFollowChanged() {
                        if (Console.follow)
                            view.positionViewAtEnd()
                    }
                }
            }

            Text {
                anchors.centerIn: parent
                visible: view.count === 0
                text: Console.total ? "No line matches the filters." : "Nothing logged yet."
                color: Theme.textFaint
                font.family: Theme.font
                font.pixelSize: Theme.normal
            }
        }

        StatusBar {
            Layout.fillWidth: true
            dot: Theme.idle
            text: page.grouped(Console.capacity) + "-line buffer · " + page.grouped(Console.total)
                  + " lines" + (Console.shown !== Console.total
                                ? " · " + page.grouped(Console.shown) + " shown" : "")
                  + (Console.message ? "  ·  " + Console.message : "")

            ActionButton {
                objectName: "consoleCopy"
                text: "Copy"
                mark: "❐"
                enabled: Console.shown > 0
                onClicked: Console.copy()
            }
            ActionButton {
                objectName: "consoleSave"
                text: "Save…"
                mark: "⇩"
                enabled: Console.shown > 0
                onClicked: Console.save()
            }
            ActionButton {
                objectName: "consoleFollow"
                text: "Follow"
                mark: "⤓"
                checkable: true
                checked: Console.follow
                onToggled: Console.setFollow(checked)
            }
        }
    }
}
