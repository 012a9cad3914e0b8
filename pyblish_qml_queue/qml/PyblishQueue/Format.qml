pragma Singleton
import QtQuick

// Text for times, durations and counts, as every page writes them.
QtObject {
    function pad(n) {
        return n < 10 ? "0" + n : "" + n
    }

    // "14:02:11" of seconds since the epoch ("" for 0).
    function clock(seconds) {
        if (!seconds)
            return ""
        const d = new Date(seconds * 1000)
        return pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds())
    }

    // "14:02:11.230" for log lines.
    function clockMs(seconds) {
        if (!seconds)
            return ""
        const d = new Date(seconds * 1000)
        const ms = d.getMilliseconds()
        return clock(seconds) + "." + (ms < 10 ? "00" : ms < 100 ? "0" : "") + ms
    }

    // "42.1 s", "2 min 48 s", "1 h 03 min".
    function duration(seconds) {
        if (seconds === undefined || seconds < 0)
            return ""
        if (seconds < 60)
            return seconds.toFixed(1) + " s"
        const s = Math.round(seconds)
        if (s < 3600)
            return Math.floor(s / 60) + " min " + pad(s % 60) + " s"
        return Math.floor(s / 3600) + " h " + pad(Math.floor((s % 3600) / 60)) + " min"
    }

    // "4 s ago", "6 min ago", "2 h ago".
    function ago(seconds, now) {
        if (!seconds)
            return "never"
        return span(now - seconds) + " ago"
    }

    function span(delta) {
        const d = Math.max(0, Math.round(delta))
        if (d < 60)
            return d + " s"
        if (d < 3600)
            return Math.floor(d / 60) + " min"
        if (d < 86400)
            return Math.floor(d / 3600) + " h"
        return Math.floor(d / 86400) + " d"
    }

    // The line of a multi-line record that says what happened: a traceback's last
    // line (the exception), else the first line.
    function headline(text) {
        const lines = (text || "").split("\n").filter(l => l.trim() !== "")
        if (!lines.length)
            return ""
        return lines[0].indexOf("Traceback") === 0 ? lines[lines.length - 1].trim() : lines[0]
    }

    // How many lines a record has, trailing blank lines left out.
    function lineCount(text) {
        return (text || "").replace(/\s+$/, "").split("\n").length
    }

    function plural(n, word) {
        return n + " " + word + (n === 1 ? "" : "s")
    }

    function capital(text) {
        return text ? text.charAt(0).toUpperCase() + text.slice(1) : ""
    }
}
