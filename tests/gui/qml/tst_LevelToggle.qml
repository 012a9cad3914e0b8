import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// A level toggle looks different on and off (issue 16, item 10: the Terminal's looked alike).
TestCase {
    id: testCase
    name: "LevelToggle"
    width: 200
    height: 40
    visible: true
    when: windowShown

    Component {
        id: toggleComponent
        LevelToggle {}
    }

    function make(props) {
        const toggle = createTemporaryObject(toggleComponent, testCase, props)
        verify(toggle, "the toggle was created")
        return toggle
    }

    function test_on_and_off_differ_in_colour_underline_and_word() {
        const on = make({ level: "ERROR", on: true })
        const off = make({ level: "ERROR", on: false })
        verify(!Qt.colorEqual(on.background.color, off.background.color))
        verify(findChild(on, "levelUnderline").visible)
        verify(!findChild(off, "levelUnderline").visible)
        verify(Qt.colorEqual(findChild(on, "levelWord").color, Theme.error))
        verify(Qt.colorEqual(findChild(off, "levelWord").color, Theme.textFaint))
        verify(findChild(off, "levelWord").font.strikeout)
        verify(!findChild(on, "levelWord").font.strikeout)
    }

    function test_a_click_asks_and_the_owner_decides() {
        const toggle = make({ level: "INFO", on: true })
        let clicks = 0
        toggle.clicked.connect(() => clicks++)
        mouseClick(toggle)
        compare(clicks, 1)
        verify(toggle.on, "the toggle follows its owner's state, not the click")
    }
}
