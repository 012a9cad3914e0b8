import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// The filter drop-down: shows the chosen filter, reports a pick by its value.
TestCase {
    id: testCase
    name: "Choice"
    width: 300
    height: 300
    visible: true
    when: windowShown

    Component {
        id: choiceComponent
        Choice {
            label: "State"
            choices: [
                { value: "", text: "All states" },
                { value: States.jobGroup.active, text: "Active" },
                { value: States.job.failed, text: "Failed" }
            ]
        }
    }
    Component {
        id: spyComponent
        SignalSpy { signalName: "picked" }
    }

    function test_it_shows_the_current_value() {
        const box = createTemporaryObject(choiceComponent, testCase, { value: "" })
        compare(box.displayText, "All states")
        box.value = States.job.failed  // as Queue.stateFilter changes
        compare(box.currentIndex, 2)
        compare(box.displayText, "Failed")
        box.value = ""
        compare(box.displayText, "All states")
    }

    function test_an_unknown_value_shows_the_first_choice() {
        const box = createTemporaryObject(choiceComponent, testCase, { value: "" })
        box.value = States.job.failed
        box.value = "nonsense"
        compare(box.currentIndex, 0)
    }

    function test_a_pick_reports_its_value_not_its_text() {
        const box = createTemporaryObject(choiceComponent, testCase, { value: "" })
        const spy = createTemporaryObject(spyComponent, testCase, { target: box })
        box.activated(1)
        compare(spy.count, 1)
        compare(spy.signalArguments[0][0], States.jobGroup.active)
    }
}
