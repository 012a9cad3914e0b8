import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// The stage strip on a host card: how far the host got in each stage.
TestCase {
    id: testCase
    name: "StageStrip"
    width: 400
    height: 40
    visible: true
    when: windowShown

    Component {
        id: stripComponent
        StageStrip { width: 400 }
    }

    function cells(props) {
        const strip = createTemporaryObject(stripComponent, testCase, props)
        verify(strip, "the strip was created")
        return [0, 1, 2, 3].map(n => strip.status(n))
    }

    readonly property int done: StageStrip.Cell.Done
    readonly property int current: StageStrip.Cell.Current
    readonly property int failed: StageStrip.Cell.Failed
    readonly property int handed: StageStrip.Cell.Handed
    readonly property int none: StageStrip.Cell.NotReached

    function test_cells_data() {
        return [
            { tag: "connected, nothing run", props: {}, cells: [none, none, none, none] },
            { tag: "validated", props: { validated: true }, cells: [done, done, none, none] },
            { tag: "extracting",
              props: { hostState: States.host.extracting, stage: "extract" },
              cells: [done, done, current, none] },
            { tag: "validation failed",
              props: { hostState: States.host.failed, stage: "validate", errors: 2 },
              cells: [done, failed, none, none] },
            { tag: "validating with errors",
              props: { hostState: States.host.validating, stage: "validate", errors: 1 },
              cells: [done, failed, none, none] },
            { tag: "handed off", props: { hostState: States.host.handedOff, stage: "validate" },
              cells: [done, done, handed, handed] },
            { tag: "finished", props: { hostState: States.host.finished, stage: "integrate" },
              cells: [done, done, done, done] },
            { tag: "collected: the hub names no stage", props: { done: 9 },
              cells: [done, none, none, none] },
            { tag: "collected, restored with the collect stage",
              props: { stage: "collect", done: 9 }, cells: [done, none, none, none] },
            { tag: "collecting", props: { hostState: States.host.collecting, stage: "collect",
                                          done: 3 }, cells: [current, none, none, none] },
            { tag: "disconnected mid-stage",
              props: { hostState: States.host.disconnected, stage: "extract" },
              cells: [done, done, none, none] }
        ]
    }

    function test_cells(data) {
        compare(cells(data.props), data.cells)
    }
}
