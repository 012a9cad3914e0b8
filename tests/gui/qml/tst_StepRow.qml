import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// A step row marks its state and says how long it took, or what it waits for.
TestCase {
    id: testCase
    name: "StepRow"
    width: 600
    height: 40
    visible: true
    when: windowShown

    Component {
        id: rowComponent
        StepRow {}
    }

    function make(props) {
        const base = {
            width: 600, index: 0, plugin: "ExtractAlembic", label: "Extract Alembic",
            instance: "ben01", stepState: States.step.pending, started: 0, duration: -1,
            error: "", runs: 0, fraction: 0, message: "", worker: ""
        }
        for (const key in props)
            base[key] = props[key]
        const row = createTemporaryObject(rowComponent, testCase, base)
        verify(row, "the row was created")
        return row
    }

    function test_mark_and_time_data() {
        return [
            { tag: "pending", props: { stepState: States.step.pending }, mark: "○",
              time: "queued" },
            { tag: "waiting", props: { stepState: States.step.waiting }, mark: "❚❚",
              time: "waiting for farm" },
            { tag: "succeeded", props: { stepState: States.step.succeeded, duration: 2 },
              mark: "✓", time: Format.duration(2) },
            { tag: "failed", props: { stepState: States.step.failed, duration: 1 },
              mark: "✕", time: Format.duration(1) },
            { tag: "skipped", props: { stepState: States.step.skipped }, mark: "–",
              time: States.step.skipped },
            { tag: "running", props: { stepState: States.step.running }, mark: "●",
              time: "running" },
            { tag: "pending in a cancelled job",
              props: { stepState: States.step.pending, jobState: States.job.cancelled },
              mark: "×", time: "cancelled" },
            { tag: "pending in a failed job",
              props: { stepState: States.step.pending, jobState: States.job.failed },
              mark: "○", time: "not run" },
            { tag: "pending in an interrupted job runs again",
              props: { stepState: States.step.pending, jobState: States.job.interrupted },
              mark: "○", time: "queued" },
            { tag: "done steps of a cancelled job keep their time",
              props: { stepState: States.step.succeeded, duration: 2,
                       jobState: States.job.cancelled },
              mark: "✓", time: Format.duration(2) }
        ]
    }

    function test_mark_and_time(data) {
        const row = make(data.props)
        compare(findChild(row, "stepMark").text, data.mark)
        compare(findChild(row, "stepTime").text, data.time)
    }

    function test_an_error_makes_the_row_taller_and_red() {
        const plain = make({ stepState: States.step.failed })
        const failed = make({ stepState: States.step.failed, error: "no disk" })
        verify(failed.height > plain.height)
        verify(Qt.colorEqual(failed.tint, Theme.error))
    }

    function test_a_traceback_error_shows_its_exception_line() {
        const failed = make({ stepState: States.step.failed,
                              error: "Traceback (most recent call last):\n  File \"x.py\"\n"
                                     + "OSError: disk full on /cache\n" })
        compare(findChild(failed, "stepError").text, "OSError: disk full on /cache")
    }

    function test_the_worker_column_names_who_ran_the_step() {
        compare(findChild(make({ stepState: States.step.succeeded,
                                 worker: "pyblish@render-07" }), "stepWorker").text,
                "render-07")
        compare(findChild(make({ stepState: States.step.running,
                                 worker: "pid 4242 · ws-01" }), "stepWorker").text,
                "pid 4242 · ws-01")
        compare(findChild(make({ stepState: States.step.pending }), "stepWorker").text, "—")
    }

    function test_only_a_running_step_is_highlighted() {
        verify(Qt.colorEqual(make({ stepState: States.step.running }).color, Theme.selection))
        compare(make({ stepState: States.step.succeeded }).color.a, 0)
    }
}
