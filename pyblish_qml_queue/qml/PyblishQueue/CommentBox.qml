import QtQuick
import QtQuick.Controls.Basic as B
import PyblishQueue.Backend

// The comment of this publish: written into the host's context data ("comment")
// when the box loses focus or on Ctrl+Enter.
Rectangle {
    id: box

    objectName: "commentBox"
    implicitHeight: 64
    color: Theme.chrome
    border.color: Theme.border

    function commit() {
        Publish.setComment(area.text)
    }

    B.TextArea {
        id: area
        objectName: "commentText"
        anchors.fill: parent
        anchors.margins: 6
        text: Publish.comment
        enabled: Publish.can.comment === true
        placeholderText: "Comment for this publish (stored in the context as \"comment\")"
        placeholderTextColor: Theme.textFaint
        color: Theme.text
        wrapMode: TextEdit.Wrap
        font.family: Theme.font
        font.pixelSize: Theme.normal
        onActiveFocusChanged: if (!activeFocus) box.commit()
        Keys.onPressed: event => {
            if ((event.key === Qt.Key_Return || event.key === Qt.Key_Enter)
                    && (event.modifiers & Qt.ControlModifier)) {
                box.commit()
                event.accepted = true
            }
        }
        background: Rectangle {
            color: Theme.sunken
            radius: 2
            border.color: area.activeFocus ? Theme.running : Theme.borderLight
        }
    }
}
