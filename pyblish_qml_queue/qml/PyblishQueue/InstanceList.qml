import QtQuick
import QtQuick.Controls.Basic as B
import PyblishQueue.Backend

// The left column: the context, then instances grouped by family.
ListView {
    id: list

    objectName: "instanceList"
    clip: true
    model: Publish.instances
    boundsBehavior: Flickable.StopAtBounds
    B.ScrollBar.vertical: B.ScrollBar {}

    delegate: PublishRow {
        onToggleRequested: (itemId, value) => Publish.toggle(itemId, value)
        onSectionRequested: itemId => Publish.toggleSection(itemId)
        onDetailRequested: itemId => Publish.openDetail(itemId)
    }
}
