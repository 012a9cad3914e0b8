import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// The Queue page's action bar enables what Python allows and asks for what was clicked.
TestCase {
    id: testCase
    name: "JobActions"
    width: 1000
    height: 40
    visible: true
    when: windowShown

    Component {
        id: barComponent
        JobActions {}
    }
    Component {
        id: spyComponent
        SignalSpy { signalName: "actionRequested" }
    }

    readonly property var keys: ["cancel", "retryFailed", "retry", "moveUp", "moveDown",
                                 "remove", "openReport", "openFolder"]

    function button(bar, key) {
        const found = findChild(bar, "queueAction:" + key)
        verify(found, "a button for " + key)
        return found
    }

    function test_every_action_has_a_button_disabled_without_a_can_map() {
        const bar = createTemporaryObject(barComponent, testCase)
        for (const key of keys)
            verify(!button(bar, key).enabled, key)
    }

    function test_buttons_follow_the_can_map() {
        const can = { cancel: true, retryFailed: false, retry: true, moveUp: false,
                      moveDown: false, remove: true, openReport: true, openFolder: true }
        const bar = createTemporaryObject(barComponent, testCase, { can: can })
        for (const key of keys)
            compare(button(bar, key).enabled, can[key], key)
        bar.can = { cancel: false }
        verify(!button(bar, "cancel").enabled)
        verify(!button(bar, "remove").enabled)
    }

    function test_a_click_asks_for_its_action_and_a_disabled_one_does_not() {
        const bar = createTemporaryObject(barComponent, testCase,
                                          { can: { retry: true, cancel: false } })
        const spy = createTemporaryObject(spyComponent, testCase, { target: bar })
        waitForRendering(bar)
        mouseClick(button(bar, "retry"))
        mouseClick(button(bar, "cancel"))
        compare(spy.count, 1)
        compare(spy.signalArguments[0][0], "retry")
    }

    function test_where_labels_do_not_fit_the_buttons_show_marks_within_the_width() {
        const wide = createTemporaryObject(barComponent, testCase)
        waitForRendering(wide)
        verify(!wide.compact)
        compare(button(wide, "openFolder").text, "Open folder")
        const narrow = createTemporaryObject(barComponent, testCase, { maxWidth: 400 })
        waitForRendering(narrow)
        verify(narrow.compact)
        verify(narrow.implicitWidth <= 400, "the bar takes " + narrow.implicitWidth)
        for (const key of keys) {
            const b = button(narrow, key)
            compare(b.text, "", key + " shows its mark only")
            verify(b.mark !== "", key)
            verify(b.x + b.width <= 400, key + " ends inside the bar")
        }
    }
}
