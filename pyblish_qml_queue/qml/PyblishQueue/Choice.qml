import QtQuick
import QtQuick.Controls.Basic as B

// A labelled drop-down: "State  All states ▾". `choices` is a list of {value, text}.
B.ComboBox {
    id: box

    property string label: ""
    property var choices: []
    property string value: ""
    signal picked(string value)

    implicitHeight: 26
    implicitWidth: Math.max(120, labelText.implicitWidth + shown.implicitWidth + 44)
    model: choices
    textRole: "text"
    valueRole: "value"
    focusPolicy: Qt.NoFocus
    currentIndex: Math.max(0, indexOfValue(value))
    onActivated: index => box.picked(box.choices[index].value)

    contentItem: Row {
        leftPadding: 8
        spacing: 8
        Text {
            id: labelText
            text: box.label
            visible: box.label !== ""
            color: Theme.textFaint
            font.family: Theme.font
            font.pixelSize: Theme.normal
            anchors.verticalCenter: parent.verticalCenter
        }
        Text {
            id: shown
            text: box.displayText
            color: Theme.text
            font.family: Theme.font
            font.pixelSize: Theme.normal
            anchors.verticalCenter: parent.verticalCenter
        }
    }

    indicator: Text {
        x: box.width - width - 8
        anchors.verticalCenter: parent.verticalCenter
        text: "▾"
        color: Theme.textDim
        font.pixelSize: Theme.normal
    }

    background: Rectangle {
        color: box.hovered ? Theme.panelHover : Theme.panel
        radius: 2
        border.color: Theme.borderLight
    }

    delegate: B.ItemDelegate {
        id: item
        required property int index
        required property var modelData
        width: box.width
        height: 26
        highlighted: box.highlightedIndex === index
        contentItem: Text {
            text: item.modelData.text
            color: Theme.text
            font.family: Theme.font
            font.pixelSize: Theme.normal
            verticalAlignment: Text.AlignVCenter
        }
        background: Rectangle {
            color: item.highlighted ? Theme.selection : Theme.panel
        }
    }

    popup: B.Popup {
        y: box.height
        width: Math.max(box.width, 160)
        padding: 1
        implicitHeight: Math.min(contentItem.implicitHeight + 2, 400)
        contentItem: ListView {
            clip: true
            implicitHeight: contentHeight
            model: box.popup.visible ? box.delegateModel : null
            currentIndex: box.highlightedIndex
        }
        background: Rectangle {
            color: Theme.panel
            border.color: Theme.border
        }
    }
}
