import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// The Queue list's selection follows the job, not the row: rows re-sort while the user
// clicks (a job starts, another ends), and neither the highlight nor a click lands on
// a job the user did not pick.
TestCase {
    id: testCase
    name: "JobSelection"
    width: 1000
    height: 200
    visible: true
    when: windowShown

    property string selectedId: ""

    ListModel {
        id: jobs
    }

    function row(id, state) {
        return { jobId: id, title: "Publish " + id, jobState: state, application: "maya",
                 version: "2025", machine: "ws-1", user: "ana", created: 1000, started: 0,
                 finished: 0, attempts: 0, maxAttempts: 3, done: 0, total: 4, progress: 0,
                 current: "", error: "", queueNumber: 0, cancelRequested: false,
                 node: "" }
    }

    Component {
        id: listComponent
        ListView {
            width: 1000
            height: 200
            model: jobs
            reuseItems: true
            delegate: JobRow {
                width: 1000
                widths: { "number": 30, "title": 200, "host": 190, "user": 100, "state": 250,
                          "progress": 170, "attempts": 70, "created": 80 }
                selected: jobId === testCase.selectedId
                onClicked: id => testCase.selectedId = id
            }
        }
    }

    function init() {
        selectedId = ""
        jobs.clear()
        jobs.append(row("A", States.job.queued))
        jobs.append(row("B", States.job.running))
        jobs.append(row("C", States.job.succeeded))
        jobs.append(row("D", States.job.failed))
    }

    function rowOf(view, id) {
        for (let n = 0; n < view.count; ++n) {
            const item = view.itemAtIndex(n)
            if (item && item.jobId === id)
                return item
        }
        return null
    }

    // A sort proxy's re-sort reaches the view as a layout change, which the view takes
    // as new data in the rows it has: the delegate under the pointer shows another job.
    function test_a_click_while_the_rows_re_sort_selects_the_pressed_job() {
        const view = createTemporaryObject(listComponent, testCase)
        waitForRendering(view)
        const first = view.itemAtIndex(0)
        mousePress(view, 300, 12)  // on the first row: A
        jobs.set(0, row("B", States.job.running))
        jobs.set(1, row("A", States.job.queued))
        compare(first.jobId, "B", "the same delegate now shows B")
        mouseRelease(view, 300, 12)
        compare(selectedId, "A", "the job pressed on, not the one now under the pointer")
    }

    function test_a_row_moved_away_during_the_click_selects_no_other_job() {
        const view = createTemporaryObject(listComponent, testCase)
        waitForRendering(view)
        mousePress(view, 300, 12)
        jobs.move(0, 3, 1)  // A moves to the end, B comes under the pointer
        waitForRendering(view)
        mouseRelease(view, 300, 12)
        verify(selectedId === "" || selectedId === "A", "selected " + selectedId)
    }

    function test_the_highlight_stays_on_the_job_across_re_sorts() {
        const view = createTemporaryObject(listComponent, testCase)
        waitForRendering(view)
        mouseClick(view, 300, 12 + 25 * 2)  // C
        compare(selectedId, "C")
        jobs.move(2, 0, 1)
        jobs.move(3, 1, 1)
        waitForRendering(view)
        for (let n = 0; n < view.count; ++n) {
            const item = view.itemAtIndex(n)
            compare(item.selected, item.jobId === "C", item.jobId)
        }
        compare(rowOf(view, "C").y, 0, "C moved to the top, still selected")
    }
}
