import QtQuick
import QtQuick.Controls.Basic
import QtQuick.Layouts
import PyblishQueue.Backend

// The app window: page tabs, the header's counts, and the pages.
ApplicationWindow {
    id: window

    width: 1100
    height: 720
    minimumWidth: 760
    minimumHeight: 480
    visible: true
    title: App.page === "publish" && Publish.windowTitle ? Publish.windowTitle : "Pyblish Queue"
    color: Theme.background
    font.family: Theme.font
    font.pixelSize: Theme.normal
    // With a tray the app goes on in it; without one, running jobs ask before quitting.
    onClosing: close => close.accepted = Tray.closeWindow()

    palette.window: Theme.background
    palette.windowText: Theme.text
    palette.base: Theme.sunken
    palette.text: Theme.text
    palette.button: Theme.panel
    palette.buttonText: Theme.text
    palette.highlight: Theme.selection
    palette.highlightedText: Theme.text
    palette.placeholderText: Theme.textFaint
    palette.mid: Theme.borderLight
    palette.dark: Theme.border

    header: Rectangle {
        implicitHeight: 40
        color: Theme.chrome
        border.color: Theme.border

        Row {
            PageTab {
                text: "Overview"
                mark: "▦"
                current: App.page === "overview" || App.page === "publish"
                onClicked: App.showOverview()
            }
            PageTab {
                text: "Queue"
                mark: "☰"
                count: App.activeJobs
                current: App.page === "queue"
                onClicked: App.showQueue()
            }
            PageTab {
                text: "Console"
                mark: "▤"
                current: App.page === "console"
                onClicked: App.showConsole()
            }
        }

        Row {
            anchors.right: parent.right
            anchors.rightMargin: 14
            anchors.verticalCenter: parent.verticalCenter
            spacing: 16
            Repeater {
                model: [
                    { text: Format.plural(App.connectedHosts, "host"), tint: Theme.success },
                    { text: App.runningJobs + " running", tint: Theme.running },
                    { text: App.waitingJobs + " waiting for farm", tint: Theme.waiting }
                ]
                delegate: Row {
                    required property var modelData
                    spacing: 6
                    anchors.verticalCenter: parent ? parent.verticalCenter : undefined
                    Rectangle {
                        width: 8
                        height: 8
                        radius: 4
                        color: parent.modelData.tint
                        anchors.verticalCenter: parent.verticalCenter
                    }
                    Text {
                        text: parent.modelData.text
                        color: Theme.textDim
                        font.family: Theme.font
                        font.pixelSize: Theme.normal
                    }
                }
            }
            TrayMenuButton {
                objectName: "windowMenu"
                visible: !Tray.available
                anchors.verticalCenter: parent.verticalCenter
            }
        }
    }

    // pyblish_qml.settings WindowPosition / WindowSize a host registered with
    Connections {
        target: Publish
        function onGeometryRequested(x, y, w, h) {
            window.x = x
            window.y = y
            window.width = w
            window.height = h
        }
    }

    // Only the Overview is built for the first frame. The other pages are built when first
    // shown (at once), and all of them once the app sets warm right after the first frame
    // (gui/app.py), in the background between frames (asynchronous: no stall; a page shown
    // while it is being built is finished at once). Once built they stay.
    property bool warm: false

    StackLayout {
        anchors.fill: parent
        currentIndex: App.page === "queue" ? 1 : App.page === "publish" ? 2
                      : App.page === "console" ? 3 : 0

        OverviewPage {}
        Loader {
            objectName: "pageLoader:queue"
            active: window.warm || App.page === "queue"
            asynchronous: App.page !== "queue"
            source: "QueuePage.qml"  // compiled when first loaded, not with Main
            // "Show in Queue" asked for its job before the page was there: show it now.
            onLoaded: if (Queue.selectedId)
                          Qt.callLater(() => Queue.revealRequested(Queue.rowOf(Queue.selectedId)))
        }
        Loader {
            objectName: "pageLoader:publish"
            active: window.warm || App.page === "publish"
            asynchronous: App.page !== "publish"
            source: "PublishPage.qml"  // compiled when first loaded, not with Main
        }
        Loader {
            objectName: "pageLoader:console"
            active: window.warm || App.page === "console"
            asynchronous: App.page !== "console"
            source: "ConsolePage.qml"  // compiled when first loaded, not with Main
        }
    }
}
