import QtQuick
import QtQuick.Controls.Basic as B

// A dark text field with a magnifier mark; `searchEdited(text)` fires as the user types.
B.TextField {
    id: field

    signal searchEdited(string text)

    implicitHeight: 26
    leftPadding: 26
    color: Theme.text
    placeholderTextColor: Theme.textFaint
    font.family: Theme.font
    font.pixelSize: Theme.normal
    selectByMouse: true
    onTextEdited: searchEdited(text)

    background: Rectangle {
        color: Theme.sunken
        radius: 2
        border.color: field.activeFocus ? Theme.running : Theme.borderLight
        Text {
            x: 8
            anchors.verticalCenter: parent.verticalCenter
            text: "⌕"
            color: Theme.textDim
            font.family: Theme.font
            font.pixelSize: Theme.large
        }
    }
}
