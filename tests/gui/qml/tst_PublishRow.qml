import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// A Publish page row: its dot shows the item's state; clicks ask for the detail,
// the section fold or a toggle.
TestCase {
    id: testCase
    name: "PublishRow"
    width: 400
    height: 40
    visible: true
    when: windowShown

    Component {
        id: rowComponent
        PublishRow {}
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }

    function make(props) {
        const base = {
            index: 0, itemId: "inst-1", kind: "instance", label: "ben01",
            itemState: States.item.idle, checked: true, optional: true, info: "", frames: "",
            hasComment: false, collapsed: false, hasActions: false, hasRepair: false
        }
        for (const key in props)
            base[key] = props[key]
        const row = createTemporaryObject(rowComponent, testCase, base)
        verify(row, "the row was created")
        return row
    }

    function spy(row, signalName) {
        return createTemporaryObject(spyComponent, testCase, { target: row, signalName: signalName })
    }

    function test_the_dot_shows_the_state_data() {
        return [
            { tag: "idle", state: States.item.idle, colour: Theme.idle },
            { tag: "processing", state: States.item.processing, colour: Theme.running },
            { tag: "success", state: States.item.success, colour: Theme.success },
            { tag: "warning", state: States.item.warning, colour: Theme.warning },
            { tag: "error", state: States.item.error, colour: Theme.error }
        ]
    }

    function test_the_dot_shows_the_state(data) {
        const dot = findChild(make({ itemState: data.state }), "stateDot")
        verify(dot.visible)
        verify(Qt.colorEqual(dot.color, data.colour))
    }

    function test_a_section_has_no_dot_and_a_click_folds_it() {
        const row = make({ kind: "section", itemId: "section:Extract", label: "Extract" })
        verify(!findChild(row, "stateDot").visible)
        const folds = spy(row, "sectionRequested")
        const details = spy(row, "detailRequested")
        mouseClick(row)
        compare(folds.count, 1)
        compare(details.count, 0)
        compare(folds.signalArguments[0][0], "section:Extract")
    }

    function test_a_click_on_an_item_opens_its_detail() {
        const row = make({})
        const details = spy(row, "detailRequested")
        mouseClick(row, row.width - 40, row.height / 2)
        compare(details.count, 1)
        compare(details.signalArguments[0][0], "inst-1")
    }

    function test_the_checkbox_asks_to_toggle_to_the_other_value() {
        const row = make({ checked: true })
        const toggles = spy(row, "toggleRequested")
        mouseClick(findChild(row, "publishCheck:inst-1"))
        compare(toggles.count, 1)
        compare(toggles.signalArguments[0][0], "inst-1")
        compare(toggles.signalArguments[0][1], false)
    }

    function test_an_instance_shows_its_frame_range_beside_its_info() {
        const row = make({ frames: "1001 – 1120", info: "2 errors" })
        const frames = findChild(row, "publishFrames")
        const info = findChild(row, "publishInfo")
        verify(frames.visible)
        compare(frames.text, "1001 – 1120 ·")
        verify(info.visible)
        compare(info.text, "2 errors")
        verify(frames.x + frames.width <= info.x, "the range comes before the info")
        verify(frames.mapToItem(row, 0, 0).x > findChild(row, "stateDot").x,
               "the range sits on the row's right")
    }

    function test_a_row_without_a_frame_range_shows_none() {
        const row = make({ frames: "", info: "excluded" })
        verify(!findChild(row, "publishFrames").visible)
        compare(findChild(row, "publishInfo").text, "excluded")
    }

    function test_an_excluded_instance_says_only_excluded() {
        const row = make({ checked: false, frames: "1001 – 1120", info: "excluded" })
        verify(!findChild(row, "publishFrames").visible)
        compare(findChild(row, "publishInfo").text, "excluded")
    }

    function test_a_range_alone_has_no_separator() {
        const row = make({ frames: "1001" })
        compare(findChild(row, "publishFrames").text, "1001")
        verify(!findChild(row, "publishInfo").visible)
    }
}
