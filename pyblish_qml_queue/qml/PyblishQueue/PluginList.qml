import QtQuick
import QtQuick.Controls.Basic as B
import PyblishQueue.Backend

// The right column: plugins grouped by stage, with their actions menu.
ListView {
    id: list

    objectName: "pluginList"
    clip: true
    model: Publish.plugins
    boundsBehavior: Flickable.StopAtBounds
    B.ScrollBar.vertical: B.ScrollBar {}

    delegate: PublishRow {
        onToggleRequested: (itemId, value) => Publish.toggle(itemId, value)
        onSectionRequested: itemId => Publish.toggleSection(itemId)
        onDetailRequested: itemId => Publish.openDetail(itemId)
        onActionsRequested: (itemId, anchor) => menu.openFor(itemId, anchor)
    }

    PluginActionMenu {
        id: menu
    }
}
