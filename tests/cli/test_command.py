"""The command line's parser: only the module of the verb run is imported, and the
usage still lists every verb (issue 17, item 6: a verb's start builds its own parser)."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT

from pyblish_qml_queue.cli import command

VERB_MODULES = sorted(set(command.COMMANDS))


def test_the_verb_table_lists_every_verb_its_modules_add_with_their_help():
    full = command.build_parser()

    assert list(full.verbs) == list(command.VERBS)
    for argv in (["--help"], [], ["-h", "jobs"], ["-v", "--he", "app"], ["no-such-verb"]):
        assert command.build_parser(argv=argv).format_help() == full.format_help(), argv


def test_a_verb_run_builds_only_the_verbs_of_its_module():
    assert list(command.build_parser(argv=["-v", "app", "--help"]).verbs) == ["app", "doctor"]


@pytest.mark.parametrize("verb", list(command.VERBS))
def test_a_verb_built_alone_has_the_flags_and_help_it_has_among_all(verb):
    alone = command.build_parser(argv=["--debug", verb, "--help"]).verbs[verb]

    assert alone.format_help() == command.build_parser().verbs[verb].format_help()


_PROBE = """
import json, sys
from pyblish_qml_queue.cli import command
try:
    code = command.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps(sorted(sys.modules)), file=sys.stderr)
sys.exit(code)
"""


def _imported_verb_modules(*args):
    """Run the command line in a fresh process: its result and the verb modules it imported."""
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    modules = json.loads(result.stderr.splitlines()[-1])
    return result, sorted(set(modules) & set(VERB_MODULES))


def test_the_top_level_help_lists_every_verb_without_importing_their_modules(home):
    result, imported = _imported_verb_modules("--help")

    assert result.returncode == 0
    assert all(verb in result.stdout for verb in command.VERBS)
    assert imported == []


def test_the_top_level_help_before_a_verb_lists_every_verb(home):
    result, _ = _imported_verb_modules("-h", "jobs")

    assert result.returncode == 0
    assert all(verb in result.stdout for verb in command.VERBS)


def test_a_verb_imports_its_own_module_only(home):
    result, imported = _imported_verb_modules("jobs", "--json")

    assert result.returncode == 0, result.stderr
    assert imported == ["pyblish_qml_queue.cli.jobs"]


def test_an_unknown_verb_is_a_one_line_error_naming_every_verb(home):
    result, imported = _imported_verb_modules("no-such-verb")

    assert result.returncode == command.USAGE
    error = [line for line in result.stderr.splitlines() if "error:" in line]
    assert len(error) == 1
    assert all(f"'{verb}'" in error[0] for verb in command.VERBS)
    assert imported == []


def test_the_app_verb_leaves_making_the_home_private_to_its_node():
    parser = command.build_parser(argv=["app"])

    assert parser.parse_args(["app"]).private_home is False  # done after the first frame
    assert getattr(command.build_parser(argv=["jobs"]).parse_args(["jobs"]), "private_home", True)
