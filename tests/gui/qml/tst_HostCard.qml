import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// A host card: the handed-off job's line shows the job's title and live state, its bar
// is full after the job succeeded, "Show in Queue" asks for the job and only for it, and
// a publish the app's restart stopped says what to do.
TestCase {
    id: testCase
    name: "HostCard"
    width: 360
    height: 300
    visible: true
    when: windowShown

    Component {
        id: cardComponent
        HostCard {}
    }
    Component {
        id: spyComponent
        SignalSpy {}
    }

    function make(props) {
        const base = {
            width: 340, hostId: "h1", application: "nuke", version: "15.1", pid: 30544,
            machine: "ws-comp-03", user: "akim", scene: "/proj/sh0090_comp_v031.nk",
            hostState: States.host.handedOff, connected: true, stage: "validate",
            progressDone: 9, progressTotal: 12, currentPlugin: "", currentInstance: "",
            lastStep: "", disconnectedAt: 0,
            errors: 0, warnings: 0, lastActivity: 0, logTail: [], jobId: "64a1f07c9d",
            validated: true, instanceSummary: "2 · render 1 · review 1", interrupted: "",
            job: { title: "sh0090 comp render", state: States.job.running, done: 1, total: 3 }
        }
        for (const key in props)
            base[key] = props[key]
        const card = createTemporaryObject(cardComponent, testCase, base)
        verify(card, "the card was created")
        return card
    }

    function test_queue_job_line_data() {
        return [
            { tag: "running", state: States.job.running, done: 1,
              line: "sh0090 comp render — running 1 / 3", tint: Theme.running },
            { tag: "waiting", state: States.job.waiting, done: 2,
              line: "sh0090 comp render — waiting for farm", tint: Theme.waiting },
            { tag: "succeeded", state: States.job.succeeded, done: 3,
              line: "sh0090 comp render — succeeded", tint: Theme.success },
            { tag: "failed", state: States.job.failed, done: 2,
              line: "sh0090 comp render — failed", tint: Theme.error }
        ]
    }

    function test_queue_job_line(data) {
        const card = make({ job: { title: "sh0090 comp render", state: data.state,
                                   done: data.done, total: 3 } })
        compare(card.jobLine(), data.line)
        compare(findChild(card, "currentText").text + " " + findChild(card, "jobStateText").text,
                data.line)
        verify(Qt.colorEqual(findChild(card, "currentDot").color, data.tint), data.tag)
        verify(Qt.colorEqual(findChild(card, "progressBar").tint, data.tint), data.tag)
    }

    function test_the_bar_is_full_after_the_job_succeeded() {
        const card = make({ job: { title: "t", state: States.job.succeeded, done: 3, total: 3 } })
        compare(findChild(card, "progressBar").value, 1)
        compare(findChild(card, "progressText").text, "12 / 12 steps")
    }

    function test_a_job_no_longer_in_the_queue_shows_its_short_id() {
        const card = make({ job: {} })
        compare(findChild(card, "currentText").text, "job 64a1f07c")
        compare(findChild(card, "progressText").text, "9 / 12 in-session")
    }

    function test_show_in_queue_asks_for_the_job_and_does_not_open_the_host() {
        const card = make({})
        const shown = createTemporaryObject(spyComponent, testCase,
                                            { target: card, signalName: "showJobRequested" })
        const opened = createTemporaryObject(spyComponent, testCase,
                                             { target: card, signalName: "openRequested" })
        waitForRendering(card)
        const link = findChild(card, "showInQueue")
        verify(link.visible)
        mouseClick(link)
        compare(shown.count, 1)
        compare(shown.signalArguments[0][0], "64a1f07c9d")
        compare(opened.count, 0, "the card's own click did not fire")
        mouseClick(card, 40, 140)
        compare(opened.count, 1, "elsewhere the card still opens its host")
    }

    function test_a_publish_stopped_by_the_restart_says_press_publish() {
        const card = make({ hostState: States.host.connected, jobId: "", job: {},
                            stage: "extract",
                            interrupted: "stopped by the app's restart: press Publish to continue" })
        compare(findChild(card, "hostStatePill").text, "Stopped")
        compare(findChild(card, "currentText").text,
                "Stopped by the app's restart: press Publish to continue")
        verify(!findChild(card, "showInQueue").visible)
    }

    function test_a_validated_host_says_validated_as_its_page_does() {
        const card = make({ hostState: States.host.connected, jobId: "", job: {} })
        compare(findChild(card, "hostStatePill").text, "Validated")
    }

    function named(item, name, out) {
        out = out || []
        if (item.objectName === name)
            out.push(item)
        for (let n = 0; n < item.children.length; ++n)
            named(item.children[n], name, out)
        return out
    }

    function test_log_lines_show_their_time_and_coloured_level() {
        const at = new Date(2025, 0, 1, 14, 3, 12).getTime() / 1000
        const card = make({ hostState: States.host.validating, logTail: [
            { time: at - 60, level: "INFO", message: "older, not shown" },
            { time: at - 11, level: "INFO", message: "restored 9 step(s) from the host" },
            { time: at, level: "WARNING", message: "CHAR_tom01: 3 shapes without UVs" },
            { time: at, level: "ERROR", message: "FX_pyro_main: 2 unnamed VDB prims" }] })
        const times = named(card, "cardLogTime").map(t => t.text)
        const levels = named(card, "cardLogLevel")
        const messages = named(card, "cardLogMessage").map(t => t.text)
        compare(messages, ["restored 9 step(s) from the host",
                           "CHAR_tom01: 3 shapes without UVs",
                           "FX_pyro_main: 2 unnamed VDB prims"])
        compare(times, ["14:03:01", "14:03:12", "14:03:12"])
        compare(levels.map(t => t.text), ["INFO", "WARN", "ERROR"])
        verify(Qt.colorEqual(levels[1].color, Theme.warning))
        verify(Qt.colorEqual(levels[2].color, Theme.error))
    }

    function test_a_plain_log_line_still_shows() {
        const card = make({ logTail: ["handed off as job 64a1f07c"] })
        compare(named(card, "cardLogMessage")[0].text, "handed off as job 64a1f07c")
        verify(!named(card, "cardLogLevel")[0].visible)
    }

    function test_current_or_last_step_data() {
        return [
            { tag: "a step runs", label: "Current", text: "ExtractAlembic · CHAR_ben01",
              props: { hostState: States.host.extracting, currentPlugin: "ExtractAlembic",
                       currentInstance: "CHAR_ben01", lastStep: "ValidateX · CHAR_ben01" } },
            { tag: "collected, nothing runs", label: "Last step", text: "CollectScene",
              props: { hostState: States.host.connected, lastStep: "CollectScene" } },
            { tag: "gone", label: "Last step", text: "ValidateMeshTopology · SET_kitchen",
              props: { hostState: States.host.disconnected, connected: false,
                       lastStep: "ValidateMeshTopology · SET_kitchen" } },
            { tag: "nothing ran", label: "Last step", text: "nothing has run yet",
              props: { hostState: States.host.connected } }
        ]
    }

    function test_current_or_last_step(data) {
        const card = make(data.props)
        compare(findChild(card, "currentLabel").text, data.label)
        compare(findChild(card, "currentText").text, data.text)
    }

    function test_a_running_step_shows_its_time_so_far() {
        const card = make({ hostState: States.host.extracting, currentPlugin: "ExtractAlembic",
                            lastActivity: App.now - 12 })
        verify(findChild(card, "currentElapsed").visible)
        compare(findChild(card, "currentElapsed").text, "12 s")
    }

    function test_a_gone_host_says_since_when_its_link_dropped() {
        const card = make({ hostState: States.host.disconnected, connected: false,
                            lastActivity: App.now - 70, disconnectedAt: App.now - 6 })
        compare(findChild(card, "goneSince").text, "disconnected 6 s ago")
        const older = make({ hostState: States.host.disconnected, connected: false,
                             lastActivity: App.now - 70 })
        compare(findChild(older, "goneSince").text, "no heartbeat for 1 min")
    }

    function test_the_machine_and_the_user_each_have_their_glyph() {
        const card = make({})
        const machine = findChild(card, "machineText")
        const user = findChild(card, "userText")
        const screen = findChild(card, "machineGlyph")
        const person = findChild(card, "userGlyph")
        compare(machine.text, "ws-comp-03")
        compare(user.text, "akim")
        verify(screen.visible && screen.width > 0 && screen.height > 0)
        verify(person.visible && person.width > 0 && person.height > 0)
        // each glyph stands just before its name, on one line with the pid
        waitForItemPolished(findChild(card, "whoAndWhere"))
        const pid = findChild(card, "pidText")
        verify(pid.x < screen.x && screen.x + screen.width <= machine.x)
        verify(machine.x + machine.width <= person.x && person.x + person.width <= user.x)
        compare(Math.round(screen.mapToItem(card, 0, screen.height / 2).y),
                Math.round(machine.mapToItem(card, 0, machine.height / 2).y))
    }

    function test_a_long_machine_name_elides_and_leaves_the_user_in_view() {
        const card = make({ width: 240, machine: "render-node-with-a-very-long-hostname-0042",
                            user: "svc_pipeline" })
        const line = findChild(card, "whoAndWhere")
        waitForItemPolished(line)
        const machine = findChild(card, "machineText")
        const user = findChild(card, "userText")
        verify(machine.truncated, "the machine's name elides")
        verify(user.x + user.width <= line.width + 0.5, "the user stays inside the card")
        verify(!user.truncated, "a short user name stays whole")
    }

    function test_short_names_are_shown_whole() {
        const card = make({ machine: "ws-fx-12", user: "mlopez" })
        verify(!findChild(card, "machineText").truncated)
        verify(!findChild(card, "userText").truncated)
    }

    function test_no_machine_or_user_shows_no_glyph() {
        const card = make({ machine: "", user: "" })
        verify(!findChild(card, "machineGlyph").visible)
        verify(!findChild(card, "userGlyph").visible)
        verify(findChild(card, "pidText").visible)
    }
}
