"""The command line as a whole: descriptions, formats, --root, tables in a terminal, passwords."""

import argparse
import io
import json
import shutil
import sys

import pytest
from rdflib import Literal

from peergraph.cli import publish as publishing
from peergraph.cli import _parser, main
from peergraph.cli.options import subcommands
from peergraph.questions.results import Result

from . import stores
from .conftest import ROOT

GIFT_PHRASE = "valued over $25"   # Illinois NCRS V – b: gifts "valued over $25"


def _helps(parser: argparse.ArgumentParser):
    """(prog, help) of every subcommand listed in a parser's help, at any depth."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for choice in action._choices_actions:
                yield f"{parser.prog} {choice.dest}", choice.help
            for command in dict.fromkeys(action.choices.values()):
                yield from _helps(command)


def test_every_subcommand_has_a_help_line_and_a_description():
    parser = _parser()
    helps = list(_helps(parser))
    assert {"peergraph build", "peergraph validate", "peergraph queries", "peergraph crosswalk update",
            "peergraph coverage", "peergraph scenario-context", "peergraph publish"} <= {name for name, _ in helps}
    assert [name for name, text in helps if not text] == []
    assert [command.prog for command in subcommands(parser) if not command.description] == []


# --- -f/--format json, and the deprecated --json -------------------------------------------

def test_queries_lists_as_json_with_format_and_with_the_deprecated_json(capsys):
    assert main(["queries", "-f", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert main(["queries", "--json"]) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == listed
    assert "--json is deprecated; use -f json" in err
    thresholds = next(query for query in listed if query["name"] == "thresholds")
    assert thresholds["title"]


def test_build_takes_format_json_and_still_the_deprecated_json():
    build = next(command for command in subcommands(_parser()) if command.prog == "peergraph build")
    assert build.parse_args(["-f", "json"]).format == "json"
    assert build.parse_args(["--json"]).format == "json"
    assert build.parse_args([]).format == "table"


def test_validate_answers_as_json(capsys):
    assert main(["validate", "-f", "json"]) == 0
    figures = json.loads(capsys.readouterr().out)
    assert figures["valid"] is True
    assert figures["codes"] == len(list((ROOT / "data" / "codes").glob("*.ttl")))


def test_every_command_that_prints_a_result_takes_format_json():
    parser = _parser()
    takes_json = {command.prog: any(action.dest == "format" and "json" in (action.choices or ())
                                    for action in command._actions)
                  for command in subcommands(parser)}
    for prog in ("build", "validate", "queries", "query", "check", "coverage", "crosswalk update",
                 "crosswalk export", "publish", "report"):
        assert takes_json[f"peergraph {prog}"], prog


# --- --root before or after the command ------------------------------------------------------

@pytest.fixture
def one_question_project(tmp_path):
    """A project folder whose query library holds one question: thresholds."""
    for folder in ("ontology", "data"):
        (tmp_path / folder).mkdir()
    (tmp_path / "queries").mkdir()
    shutil.copy(ROOT / "queries" / "thresholds.rq", tmp_path / "queries")
    return tmp_path


@pytest.mark.parametrize("where", ["before", "after"])
def test_root_is_read_before_and_after_the_command(where, one_question_project, capsys):
    root = ["--root", str(one_question_project)]
    argv = root + ["queries", "-f", "json"] if where == "before" else ["queries", *root, "-f", "json"]
    assert main(argv) == 0
    assert [query["name"] for query in json.loads(capsys.readouterr().out)] == ["thresholds"]


def test_root_after_a_nested_command_names_the_folder_that_is_no_project(tmp_path, capsys):
    assert main(["crosswalk", "export", "--root", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert f"{tmp_path}: not a peergraph project folder" in err and "Traceback" not in err


def test_root_after_the_command_wins_over_root_before(one_question_project, tmp_path, capsys):
    assert main(["--root", str(tmp_path / "nowhere"), "queries", "--root", str(one_question_project),
                 "-f", "json"]) == 0
    assert [query["name"] for query in json.loads(capsys.readouterr().out)] == ["thresholds"]


# --- tables fit the terminal, and only the terminal ------------------------------------------

class Terminal(io.StringIO):
    def isatty(self):
        return True


def test_thresholds_in_a_terminal_fit_its_width_with_ellipses(monkeypatch):
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["query", "thresholds"]) == 0
    lines = terminal.getvalue().splitlines()
    assert max(len(line) for line in lines) <= 120
    assert "…" in lines[0]
    assert lines[-1].endswith("rows)")


def test_thresholds_piped_or_as_csv_keep_every_cell_whole(monkeypatch, capsys):
    monkeypatch.setenv("COLUMNS", "120")
    assert main(["query", "thresholds"]) == 0
    table = capsys.readouterr().out
    assert GIFT_PHRASE in table and "…" not in table
    terminal = Terminal()
    monkeypatch.setattr("sys.stdout", terminal)
    assert main(["query", "thresholds", "-f", "csv"]) == 0
    assert GIFT_PHRASE in terminal.getvalue() and "…" not in terminal.getvalue()


def test_a_table_without_a_width_keeps_a_long_cell_whole_and_with_one_clips_it():
    text = "Peer specialists will not accept gifts of significant value from individuals they serve " * 2
    result = Result(["code", "text"], [{"code": Literal("x"), "text": Literal(text)}])
    assert text.strip() in result.table()
    clipped = result.table(width=60)
    assert all(len(line) <= 60 for line in clipped.splitlines())
    assert "x     Peer specialists will not accept gifts of significant…" in clipped.splitlines()


# --- the publish password stays off the command line ----------------------------------------

def _target(argv, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(""))   # not a terminal: no prompt
    args = _parser().parse_args(["publish", "--endpoint", "http://127.0.0.1:9/sparql", *argv])
    return publishing._target(args)


def test_the_password_is_read_from_a_file(tmp_path, monkeypatch):
    monkeypatch.delenv(publishing.PASSWORD_VARIABLE, raising=False)
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    target = _target(["--user", "dba", "--password-file", str(secret)], monkeypatch)
    assert (target.user, target.password) == ("dba", "s3cret")


def test_the_password_is_read_from_the_environment(monkeypatch):
    monkeypatch.setenv(publishing.PASSWORD_VARIABLE, "s3cret")
    target = _target(["--user", "dba"], monkeypatch)
    assert (target.user, target.password) == ("dba", "s3cret")


def test_the_password_is_asked_for_on_a_terminal(monkeypatch):
    monkeypatch.delenv(publishing.PASSWORD_VARIABLE, raising=False)
    monkeypatch.setattr(publishing.getpass, "getpass", lambda prompt: "typed" if "dba" in prompt else "")
    args = _parser().parse_args(["publish", "--endpoint", "http://127.0.0.1:9/sparql", "--user", "dba"])
    monkeypatch.setattr("sys.stdin", Terminal())
    assert publishing._target(args).password == "typed"


def test_a_password_on_the_command_line_still_works_with_a_warning(monkeypatch, capsys):
    target = _target(["--user", "dba", "--password", "s3cret"], monkeypatch)
    assert target.password == "s3cret"
    assert "--password shows the password to every user" in capsys.readouterr().err


def test_an_empty_password_file_is_a_clear_error(tmp_path, capsys):
    secret = tmp_path / "secret"
    secret.write_text("")
    assert main(["publish", "--endpoint", "http://127.0.0.1:9/sparql", "--user", "dba",
                 "--password-file", str(secret)]) == 2
    err = capsys.readouterr().err
    assert f"--password-file {secret}: its first line is empty" in err and "Traceback" not in err


# --- optional parts: a missing one is named with its pip command -----------------------------

def _without(monkeypatch, *modules):
    """As if ``modules`` were not installed (and the peergraph modules using them not yet imported)."""
    for module in modules:
        monkeypatch.setitem(sys.modules, module, None)
    for loaded in [name for name in sys.modules if name.partition(".")[0] in modules]:
        monkeypatch.setitem(sys.modules, loaded, None)   # a submodule imported before is found by its own name
    for loaded in [name for name in sys.modules if name in ("peergraph.cli.serve", "peergraph.endpoint.server", "peergraph.endpoint.http_limits")]:
        # Importing it again rebinds the package's attribute too: put the original back afterwards,
        # or later tests would patch a module the running server does not use.
        package, _, child = loaded.rpartition(".")
        monkeypatch.setattr(sys.modules[package], child, sys.modules[loaded])
        monkeypatch.delitem(sys.modules, loaded)


def test_serve_without_its_optional_part_names_the_install_command(monkeypatch, capsys):
    _without(monkeypatch, "uvicorn", "starlette")
    assert main(["serve", "--port", "0", "--no-cache"]) == 2
    err = capsys.readouterr().err
    assert "pip install 'peergraph[serve]'" in err and "Traceback" not in err
    assert main(["queries", "-f", "json"]) == 0   # the rest of the command line works without it


def test_report_without_matplotlib_names_the_install_command(monkeypatch, tmp_path, capsys):
    _without(monkeypatch, "matplotlib")
    assert main(["report", "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert "pip install 'peergraph[report]'" in err and "Traceback" not in err


def test_publish_as_json_prints_the_graphs_and_their_counts(tmp_path, capsys):
    with stores.oxigraph(tmp_path) as running:
        target = running.target
        assert main(["publish", "--endpoint", target.query, "--update", target.update,
                     "--graph-store", target.graph_store, "-f", "json"]) == 0
    out, err = capsys.readouterr()
    answer = json.loads(out)
    codes = {f"https://w3id.org/peergraph/graph/{path.stem}" for path in (ROOT / "data" / "codes").glob("*.ttl")}
    assert codes <= set(answer["graphs"]) and answer["endpoint"] == target.query
    assert all(count > 0 for count in answer["graphs"].values())
    assert "published https://w3id.org/peergraph/graph/" in err   # the progress goes to stderr


def test_an_unknown_option_is_still_refused(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["queries", "--bogus"])
    assert stopped.value.code == 2
    assert "unrecognized arguments: --bogus" in capsys.readouterr().err
