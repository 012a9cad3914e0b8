import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// A job row says what its job is doing: pill text, detail line, colours.
TestCase {
    id: testCase
    name: "JobRow"
    width: 1200
    height: 40
    visible: true
    when: windowShown

    Component {
        id: rowComponent
        JobRow {}
    }

    function make(props) {
        const base = {
            width: 1200, index: 0, jobId: "job-1", title: "Publish sh010",
            jobState: States.job.queued,
            application: "maya", version: "2025", machine: "ws-1", user: "ana",
            created: 1000, started: 0, finished: 0, attempts: 0, maxAttempts: 3,
            done: 0, total: 4, progress: 0, current: "", error: "", queueNumber: 1,
            cancelRequested: false, node: "",
            widths: { number: 30, title: 200, host: 190, user: 100, state: 250,
                      progress: 170, attempts: 70, created: 80 }
        }
        for (const key in props)
            base[key] = props[key]
        const row = createTemporaryObject(rowComponent, testCase, base)
        verify(row, "the row was created")
        return row
    }

    function test_pill_text_data() {
        return [
            { tag: "running", props: { jobState: States.job.running, progress: 0.25 },
              text: "Running 25%" },
            { tag: "cancelling", props: { jobState: States.job.running, cancelRequested: true },
              text: "Cancelling" },
            { tag: "waiting", props: { jobState: States.job.waiting }, text: "Waiting for farm" },
            { tag: "failed", props: { jobState: States.job.failed }, text: "Failed" },
            { tag: "queued", props: { jobState: States.job.queued }, text: "Queued" }
        ]
    }

    function test_pill_text(data) {
        compare(make(data.props).pillText(), data.text)
    }

    function test_detail_data() {
        return [
            { tag: "running shows the step", detail: "Extract · ben01",
              props: { jobState: States.job.running, current: "Extract · ben01" } },
            { tag: "running on a farm node names its host", detail: "on render-07 · Extract · ben01",
              props: { jobState: States.job.running, current: "Extract · ben01",
                       node: "pyblish@render-07" } },
            { tag: "a farm node between steps", detail: "on render-07",
              props: { jobState: States.job.running, current: "", node: "render-07" } },
            { tag: "failed quotes the error", detail: "\"no disk\"",
              props: { jobState: States.job.failed, error: "no disk" } },
            { tag: "queued names the next step", detail: "next: Extract · ben01",
              props: { jobState: States.job.queued, queueNumber: 2, current: "Extract · ben01" } },
            { tag: "history of a queued job without a place", detail: "",
              props: { jobState: States.job.queued, queueNumber: 0, current: "Extract" } },
            { tag: "cancelled says by whom", detail: "by user",
              props: { jobState: States.job.cancelled, error: "cancelled" } }
        ]
    }

    function test_detail(data) {
        compare(make(data.props).detail(), data.detail)
    }

    function test_colour_follows_the_state() {
        verify(Qt.colorEqual(make({ jobState: States.job.failed }).tint, Theme.error))
        verify(Qt.colorEqual(make({ jobState: States.job.running }).tint, Theme.running))
        verify(Qt.colorEqual(make({ jobState: States.job.waiting }).tint, Theme.waiting))
        verify(Qt.colorEqual(make({ jobState: States.job.succeeded }).tint, Theme.success))
    }

    function test_a_click_names_the_job() {
        const row = make({})
        const spy = createTemporaryObject(spyComponent, testCase, { target: row })
        mouseClick(row)
        compare(spy.count, 1)
        compare(spy.signalArguments[0][0], "job-1")
    }

    Component {
        id: spyComponent
        SignalSpy { signalName: "clicked" }
    }
}
