import QtQuick
import QtTest
import PyblishQueue
import PyblishQueue.Backend

// A job log row sizes to its record: multi-line records never draw over the next row,
// collapse to their headline with an expander, and errors start open.
TestCase {
    id: testCase
    name: "LogLine"
    width: 700
    height: 600
    visible: true
    when: windowShown

    readonly property string traceback: "Traceback (most recent call last):\n"
        + "  File \"extract.py\", line 12, in process\n"
        + "    os.makedirs(path)\n"
        + "FileExistsError: [Errno 17] File exists: '/proj/out'\n"

    Component {
        id: lineComponent
        LogLine {}
    }

    ListModel {
        id: records
    }

    Component {
        id: listComponent
        ListView {
            width: 700
            height: 600
            model: records
            delegate: LogLine {}
        }
    }

    function make(props) {
        const base = { width: 700, index: 0, time: 1000, level: "INFO", source: "queue",
                       message: "one line" }
        for (const key in props)
            base[key] = props[key]
        const row = createTemporaryObject(lineComponent, testCase, base)
        verify(row, "the row was created")
        return row
    }

    function test_a_one_line_record_is_one_row_high() {
        const row = make({})
        verify(row.height >= 19 && row.height < 30, "height " + row.height)
        compare(findChild(row, "expander").text, "")
        verify(!findChild(row, "moreLines").visible)
    }

    function test_an_error_traceback_starts_open_and_sizes_to_its_lines() {
        const row = make({ level: "ERROR", message: traceback })
        verify(row.expanded)
        compare(row.lineCount, 4)
        const message = findChild(row, "message")
        verify(message.lineCount >= 4, "shows every line: " + message.lineCount)
        verify(row.height >= message.implicitHeight, "row holds its text")
    }

    function test_a_collapsed_record_shows_its_headline_and_how_many_lines_more() {
        const row = make({ message: "worker output:\nline 2\nline 3" })
        verify(!row.expanded)
        compare(findChild(row, "message").text, "worker output:")
        compare(findChild(row, "moreLines").text, "+2 lines")
        compare(findChild(row, "expander").text, "▸")
        verify(row.height < 30)
    }

    function test_a_collapsed_traceback_shows_the_exception() {
        const row = make({ level: "WARNING", message: traceback })
        compare(findChild(row, "message").text,
                "FileExistsError: [Errno 17] File exists: '/proj/out'")
    }

    function test_a_click_opens_and_closes_a_multi_line_record() {
        const row = make({ message: "worker output:\nline 2\nline 3" })
        waitForRendering(row)
        const closed = row.height
        mouseClick(row)
        verify(row.expanded)
        compare(findChild(row, "expander").text, "▾")
        verify(row.height > closed * 2, row.height + " > 2 x " + closed)
        mouseClick(row)
        verify(!row.expanded)
        compare(row.height, closed)
    }

    function test_a_long_line_wraps_instead_of_running_off() {
        const row = make({ message: "x ".repeat(200) })
        verify(row.height > 30, "wrapped: " + row.height)
    }

    function test_rows_in_a_list_never_overlap() {
        records.clear()
        records.append({ time: 1, level: "INFO", source: "queue", message: "handed off" })
        records.append({ time: 2, level: "ERROR", source: "Extract", message: traceback })
        records.append({ time: 3, level: "INFO", source: "queue",
                         message: "worker output:\na\nb\nc" })
        records.append({ time: 4, level: "INFO", source: "queue", message: "failed" })
        const view = createTemporaryObject(listComponent, testCase)
        waitForRendering(view)
        tryCompare(view, "count", 4)
        let bottom = 0
        for (let n = 0; n < 4; ++n) {
            const item = view.itemAtIndex(n)
            verify(item, "row " + n)
            verify(item.y >= bottom, "row " + n + " starts below the previous one")
            verify(item.y >= 0, "nothing above the first row")
            bottom = item.y + item.height
        }
    }
}
