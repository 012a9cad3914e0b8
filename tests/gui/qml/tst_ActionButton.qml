import QtQuick
import QtQuick.Controls.Basic as B
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// A button's tip: shown on hover, hidden by a press until the pointer leaves and when the
// button hides (issue 16, item 15); a button that is not available says why (item 11).
TestCase {
    id: testCase
    name: "ActionButton"
    width: 300
    height: 80
    visible: true
    when: windowShown

    Component {
        id: buttonComponent
        ActionButton { x: 20; y: 20; width: 120; text: "Publish in background" }
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }

    function make(props) {
        const button = createTemporaryObject(buttonComponent, testCase, props)
        verify(button, "the button was created")
        return button
    }

    function test_a_press_hides_the_tip_until_the_pointer_leaves() {
        const button = make({ tip: "Hand extraction to the queue" })
        mouseMove(button, 10, 10)
        tryVerify(() => button.tipShown)
        compare(button.B.ToolTip.text, "Hand extraction to the queue")
        mousePress(button, 10, 10)
        verify(!button.tipShown, "pressed: the tip goes")
        mouseRelease(button, 10, 10)
        verify(!button.tipShown, "still over it after the click: the tip stays away")
        mouseMove(testCase, 290, 70)
        tryVerify(() => !button.pointerIn)
        mouseMove(button, 10, 10)
        tryVerify(() => button.tipShown, 1000, "back over it: the tip again")
    }

    function test_a_button_that_hides_takes_its_tip_with_it() {
        const button = make({ tip: "Publish here" })
        mouseMove(button, 10, 10)
        tryVerify(() => button.tipShown)
        button.visible = false
        verify(!button.tipShown)
        verify(!button.B.ToolTip.visible)
    }

    function test_an_unavailable_button_takes_no_click_and_says_why() {
        const button = make({ tip: "Hand off", available: false,
                              whyNot: "Extraction has started in this host" })
        const clicks = createTemporaryObject(spyComponent, testCase,
                                             { target: button, signalName: "clicked" })
        mouseMove(button, 10, 10)
        tryVerify(() => button.tipShown)
        compare(button.tipText, "Extraction has started in this host")
        mouseClick(button, 10, 10)
        compare(clicks.count, 0)
        verify(!button.live)
        button.available = true
        mouseClick(button, 10, 10)
        compare(clicks.count, 1)
    }
}
