import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import PyblishQueue.Backend

// Every host session as a card: filters, sort and search on top, a hint card last.
Item {
    id: page

    ColumnLayout {
        anchors.fill: parent
        spacing: 0

        // filters, sort, search
        RowLayout {
            Layout.fillWidth: true
            Layout.margins: 8
            spacing: 0

            Repeater {
                model: [
                    { value: States.hostGroup.all, text: "All" },
                    { value: States.hostGroup.active, text: "Active" },
                    { value: States.hostGroup.finished, text: "Finished" },
                    { value: States.hostGroup.disconnected, text: "Disconnected" }
                ]
                delegate: ActionButton {
                    required property var modelData
                    text: modelData.text + "  " + (Overview.counts[modelData.value] || 0)
                    checked: Overview.group === modelData.value
                    onClicked: Overview.setGroup(modelData.value)
                }
            }
            Item {
                Layout.fillWidth: true
            }
            Choice {
                label: "Sort"
                value: Overview.sortKey
                choices: [
                    { value: "activity", text: "Last activity" },
                    { value: "application", text: "Application" },
                    { value: "arrival", text: "Arrival" }
                ]
                onPicked: value => Overview.setSortKey(value)
            }
            SearchBox {
                id: hostSearch
                Layout.leftMargin: 8
                Layout.preferredWidth: 230
                placeholderText: "Filter by host, shot, user..."
                onSearchEdited: text => Overview.setSearch(text)
            }
        }

        // the cards
        Rectangle {
            Layout.fillWidth: true
            Layout.fillHeight: true
            Layout.leftMargin: 8
            Layout.rightMargin: 8
            Layout.bottomMargin: 8
            color: Theme.well
            border.color: Theme.border

            Flickable {
                id: flick
                anchors.fill: parent
                anchors.margins: 8
                clip: true
                contentWidth: width
                contentHeight: flow.implicitHeight
                boundsBehavior: Flickable.StopAtBounds
                ScrollBar.vertical: ScrollBar {}

                readonly property int columns: Math.max(1, Math.floor((width + 10) / 330))
                readonly property real cardWidth: (width - (columns - 1) * 10) / columns

                Flow {
                    id: flow
                    width: flick.width
                    spacing: 10

                    Repeater {
                        id: cards
                        model: Overview.hosts
                        delegate: HostCard {
                            width: flick.cardWidth
                            onOpenRequested: hostId => App.openHost(hostId)
                            onForgetRequested: hostId => Overview.forget(hostId)
                            onShowJobRequested: jobId => App.showJob(jobId)
                        }
                    }

                    // hosts there are, none the filter lets through: say so, offer them all
                    Rectangle {
                        objectName: "noHostMatches"
                        visible: cards.count === 0 && (Overview.counts.all || 0) > 0
                        width: flick.cardWidth
                        height: 276
                        color: "transparent"
                        border.color: Theme.borderLight
                        radius: 2
                        Column {
                            anchors.centerIn: parent
                            spacing: 10
                            Text {
                                objectName: "emptyFilterText"
                                anchors.horizontalCenter: parent.horizontalCenter
                                horizontalAlignment: Text.AlignHCenter
                                width: flick.cardWidth - 40
                                wrapMode: Text.Wrap
                                text: "No host "
                                      + (Overview.search ? "matches \u201c" + Overview.search + "\u201d"
                                                         : "is here")
                                      + (Overview.group !== States.hostGroup.all
                                         ? " among the " + Overview.group + " ones" : "")
                                      + "\n" + Format.plural(Overview.counts.all || 0, "host")
                                      + " in all"
                                color: Theme.textDim
                                font.family: Theme.font
                                font.pixelSize: Theme.normal
                            }
                            ActionButton {
                                objectName: "showAllHosts"
                                anchors.horizontalCenter: parent.horizontalCenter
                                text: "Show all hosts"
                                onClicked: {
                                    hostSearch.text = ""
                                    Overview.setSearch("")
                                    Overview.setGroup(States.hostGroup.all)
                                }
                            }
                        }
                    }

                    // where new hosts will appear
                    Rectangle {
                        width: flick.cardWidth
                        height: 276
                        color: "transparent"
                        border.color: Theme.borderLight
                        radius: 2
                        Column {
                            anchors.centerIn: parent
                            spacing: 8
                            Rectangle {
                                anchors.horizontalCenter: parent.horizontalCenter
                                width: 30
                                height: 30
                                color: "transparent"
                                border.color: Theme.borderLight
                                Text {
                                    anchors.centerIn: parent
                                    text: "⇆"
                                    color: Theme.textDim
                                    font.pixelSize: Theme.large
                                }
                            }
                            Text {
                                anchors.horizontalCenter: parent.horizontalCenter
                                horizontalAlignment: Text.AlignHCenter
                                text: "New hosts appear here when a session connects.\n"
                                      + "In Maya, Houdini, Nuke or Python run"
                                color: Theme.textDim
                                font.family: Theme.font
                                font.pixelSize: Theme.normal
                            }
                            Rectangle {
                                anchors.horizontalCenter: parent.horizontalCenter
                                width: code.implicitWidth + 12
                                height: code.implicitHeight + 6
                                color: Theme.sunken
                                Text {
                                    id: code
                                    anchors.centerIn: parent
                                    text: "pyblish_qml_queue.show()"
                                    color: Theme.text
                                    font.family: Theme.mono
                                    font.pixelSize: Theme.small
                                }
                            }
                        }
                    }
                }
            }
        }

        StatusBar {
            Layout.fillWidth: true
            dot: App.hubAddress !== "" ? Theme.success : Theme.idle
            text: (App.hubAddress !== "" ? "Hub ready on the local socket"
                                         : "No hub: hosts cannot connect")
                  + "  ·  " + Format.plural(Overview.counts.all || 0, "host")
                  + " this session — click a card to open its publish page"
                  + (App.message ? "  ·  " + App.message : "")

            // as the wireframe: forget the disconnected hosts, pause / resume the queue,
            // the settings
            StatusBar.ForgetButton {
                count: Overview.counts.disconnected || 0
                onClicked: Overview.forgetDisconnected()
            }
            StatusBar.PauseButton {
                enabled: Queue.hasExecutor
                paused: Queue.paused
                onClicked: Queue.paused ? Queue.resume() : Queue.pause()
            }
            StatusBar.SettingsButton {
                notifications: Tray.notifications
                onNotificationsPicked: on => Tray.setNotifications(on)
            }
        }
    }
}
