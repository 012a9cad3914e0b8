import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// The status bar's glyph buttons: pause / resume (its glyph follows the state it is
// given), the settings menu (its entry follows the setting, a pick says the new value).
TestCase {
    id: testCase
    name: "StatusBar"
    width: 500
    height: 300
    visible: true
    when: windowShown

    Component {
        id: barComponent
        StatusBar {
            id: sb
            width: 500
            y: 260
            text: "Hub ready on the local socket"
            property bool paused: false
            property bool notifications: true
            property var picked: []
            property int gone: 0
            property int forgets: 0
            StatusBar.ForgetButton {
                count: sb.gone
                onClicked: sb.forgets += 1
            }
            StatusBar.PauseButton {
                paused: sb.paused
            }
            StatusBar.SettingsButton {
                notifications: sb.notifications
                onNotificationsPicked: on => sb.picked = sb.picked.concat([on])
            }
        }
    }

    function make() {
        const bar = createTemporaryObject(barComponent, testCase)
        verify(bar, "the bar was created")
        return bar
    }

    function test_the_buttons_are_square_glyphs_on_the_right() {
        const bar = make()
        const pause = findChild(bar, "statusButton:pause")
        const settings = findChild(bar, "statusButton:settings")
        verify(pause && settings)
        compare(pause.width, pause.implicitWidth)
        compare(pause.text, "")  // a glyph, no words
        verify(pause.mapToItem(bar, 0, 0).x < settings.mapToItem(bar, 0, 0).x)
        verify(settings.mapToItem(bar, 0, 0).x + settings.width <= bar.width)
        const text = findChild(bar, "statusText")
        verify(text.mapToItem(bar, 0, 0).x + text.width <= pause.mapToItem(bar, 0, 0).x,
               "the text ends before the buttons")
    }

    function test_the_pause_glyph_follows_the_queue() {
        const bar = make()
        const pause = findChild(bar, "statusButton:pause")
        verify(findChild(pause, "pauseGlyph").visible)
        verify(!findChild(pause, "resumeGlyph").visible)
        verify(!pause.checked)
        compare(pause.tip, "Pause the queue: no new job starts, running ones go on")
        bar.paused = true
        verify(!findChild(pause, "pauseGlyph").visible)
        verify(findChild(pause, "resumeGlyph").visible)
        verify(pause.checked)
        compare(pause.tip, "Resume the queue")
    }

    function test_settings_opens_a_menu_with_the_notifications_setting() {
        const bar = make()
        const settings = findChild(bar, "statusButton:settings")
        const menu = findChild(settings, "settingsMenu")
        verify(!menu.visible)
        mouseClick(settings)
        tryCompare(menu, "visible", true)
        verify(settings.checked)
        const entry = menu.itemAt(0)
        compare(entry.text, "Notifications")
        verify(entry.checked)
        mouseClick(entry)
        compare(bar.picked, [false])
        tryCompare(menu, "visible", false)
        bar.notifications = false
        mouseClick(settings)
        tryCompare(menu, "visible", true)
        verify(!menu.itemAt(0).checked)
        menu.close()
    }

    function test_the_forget_button_is_first_and_disabled_without_disconnected_hosts() {
        const bar = make()
        const forget = findChild(bar, "statusButton:forget")
        const pause = findChild(bar, "statusButton:pause")
        verify(forget && pause)
        compare(forget.text, "")  // a glyph, no words
        verify(findChild(forget, "forgetGlyph").visible)
        compare(forget.tip, "Forget disconnected hosts")
        verify(forget.mapToItem(bar, 0, 0).x < pause.mapToItem(bar, 0, 0).x, "first in the bar")
        verify(!forget.enabled)
        mouseClick(forget)
        compare(bar.forgets, 0)
        bar.gone = 2
        verify(forget.enabled)
        mouseClick(forget)
        compare(bar.forgets, 1)
    }
}
