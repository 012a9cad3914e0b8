import QtQuick
import PyblishQueue.Backend

// One row of the Publish page's lists: a section header (family or stage) or an
// item (context, instance, plugin) with its checkbox, state dot, label, an instance's
// frame range, info and a chevron to its detail page. Plugins with actions show a tool
// button.
Rectangle {
    id: row

    required property int index
    required property string itemId
    required property string kind
    required property string label
    required property string itemState
    required property bool checked
    required property bool optional
    required property string info
    required property string frames  // "1001 – 1120" ("" when the item has none)
    required property bool hasComment
    required property bool collapsed
    required property bool hasActions
    required property bool hasRepair

    readonly property bool isSection: kind === "section"

    signal toggleRequested(string itemId, bool value)
    signal sectionRequested(string itemId)
    signal detailRequested(string itemId)
    signal actionsRequested(string itemId, Item anchor)

    objectName: "publishRow:" + itemId
    width: ListView.view ? ListView.view.width : 400
    height: 20
    color: itemState === States.item.error && !isSection ? Qt.rgba(0.88, 0.29, 0.29, 0.12)
         : hover.hovered && !isSection ? Theme.panelHover : "transparent"

    MouseArea {
        id: hover
        anchors.fill: parent
        hoverEnabled: true
        acceptedButtons: Qt.LeftButton | Qt.RightButton
        readonly property bool hovered: containsMouse
        onClicked: mouse => {
            if (mouse.button === Qt.RightButton) {
                if (row.hasActions)
                    row.actionsRequested(row.itemId, tool)
            } else if (row.isSection) {
                row.sectionRequested(row.itemId)
            } else {
                row.detailRequested(row.itemId)
            }
        }
    }

    // checkbox, or the section's fold mark
    Item {
        id: box
        x: 10
        width: 14
        height: parent.height
        Text {
            visible: row.isSection
            anchors.centerIn: parent
            text: row.collapsed ? "+" : "−"
            color: row.collapsed && row.label === "Collect" ? Theme.success : Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.large
        }
        Rectangle {
            objectName: "publishCheck:" + row.itemId
            visible: !row.isSection
            anchors.centerIn: parent
            width: 12
            height: 12
            radius: 1
            color: Theme.sunken
            border.color: row.optional ? Theme.textDim : Theme.borderLight
            opacity: row.optional ? 1.0 : 0.75
            Text {
                anchors.centerIn: parent
                visible: row.checked
                text: "✓"
                color: Theme.text
                font.family: Theme.font
                font.pixelSize: 10
                font.bold: true
            }
            MouseArea {
                anchors.fill: parent
                anchors.margins: -3
                // a fixed item's box takes the click too (the page says why nothing changes)
                onClicked: row.toggleRequested(row.itemId, !row.checked)
            }
        }
    }

    // state dot
    Rectangle {
        id: dot
        objectName: "stateDot"
        visible: !row.isSection
        x: box.x + box.width + 8
        anchors.verticalCenter: parent.verticalCenter
        width: 8
        height: 8
        radius: 4
        color: Theme.itemColor(row.itemState)
        opacity: row.checked ? 1.0 : 0.6
    }

    Text {
        id: name
        x: row.isSection ? box.x + box.width + 8 : dot.x + dot.width + 8
        anchors.verticalCenter: parent.verticalCenter
        width: Math.max(20, right.x - x - 8)
        text: row.label
        elide: Text.ElideRight
        color: row.isSection ? Theme.textDim : row.checked ? Theme.text : Theme.textFaint
        font.family: Theme.font
        font.pixelSize: Theme.normal
    }

    Row {
        id: right
        anchors.right: parent.right
        anchors.rightMargin: 8
        anchors.verticalCenter: parent.verticalCenter
        spacing: 6
        Text {
            objectName: "publishFrames"
            // an excluded instance says only that, as in the wireframe
            visible: row.frames !== "" && row.checked
            text: row.frames + (row.info ? " ·" : "")
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.small
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            objectName: "publishInfo"
            visible: row.info !== ""
            text: row.info
            color: Theme.textFaint
            font.family: Theme.font
            font.pixelSize: Theme.small
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            visible: row.hasComment
            text: "✎"
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.normal
            anchors.verticalCenter: parent.verticalCenter
        }
        Rectangle {
            id: tool
            objectName: "publishActions:" + row.itemId
            visible: row.hasActions
            width: 20
            height: 16
            radius: 2
            color: toolHover.hovered ? Theme.panelHover : Theme.panel
            border.color: Theme.borderLight
            anchors.verticalCenter: parent.verticalCenter
            Text {
                anchors.centerIn: parent
                text: "⚒"
                color: row.hasRepair || row.itemState === States.item.error ? Theme.warning : Theme.textDim
                font.family: Theme.font
                font.pixelSize: Theme.small
            }
            MouseArea {
                id: toolHover
                anchors.fill: parent
                hoverEnabled: true
                readonly property bool hovered: containsMouse
                onClicked: row.actionsRequested(row.itemId, tool)
            }
        }
        Text {
            visible: !row.isSection
            text: "›"
            width: 10
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.large
            anchors.verticalCenter: parent.verticalCenter
        }
    }
}
