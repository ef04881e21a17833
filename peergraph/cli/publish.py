"""``peergraph publish``: its options, the password taken out of sight of ``ps``, and the run."""

from __future__ import annotations

import getpass
import json
import os
import sys
from pathlib import Path

from peergraph.cli.options import add_format, layout_of
from peergraph.errors import PeergraphError
from peergraph.output import emit
from peergraph.publish.store import PASSWORD_VARIABLE, Target, redact, without_credentials


def add_commands(commands) -> None:
    command = commands.add_parser(
        "publish", help="load each named graph of the build into an external SPARQL store",
        description="Replace each named graph (one per code, the vocabulary, the crosswalk) in an external "
                    "SPARQL 1.1 store. Graphs are staged, read back and compared with the build first, then "
                    "moved into place in one update; a failed publish leaves the store's graphs as they were.")
    command.add_argument("--endpoint", required=True, metavar="URL", help="the store's SPARQL query endpoint")
    command.add_argument("--update", metavar="URL", help="its SPARQL Update endpoint (default: --endpoint)")
    command.add_argument("--graph-store", metavar="URL",
                         help="its Graph Store HTTP Protocol endpoint (default: none, send data as SPARQL Update)")
    command.add_argument("--user", help="account allowed to write (basic or digest authentication)")
    command.add_argument("--password-file", type=Path, metavar="FILE",
                         help=f"read its password from the first line of FILE; or set {PASSWORD_VARIABLE}, or "
                              "type it when asked (with --user, on a terminal)")
    command.add_argument("--password", help="its password; deprecated: every user of the machine sees it in `ps`")
    add_format(command, help="what was published, as lines of text or as JSON (default: table)")
    command.set_defaults(run=_publish)


def _publish(args) -> int:
    from peergraph.publish.remote import files_of, publish

    for url in filter(None, (args.endpoint, args.update, args.graph_store)):
        if not url.startswith(("http://", "https://")):
            raise PeergraphError(f"{redact(url)!r} is not an http(s) URL; give the store's endpoint, "
                                 "e.g. http://127.0.0.1:7878/query")
    target = _target(args)
    layout = layout_of(args)
    as_json = args.format == "json"
    progress = (lambda line: print(line, file=sys.stderr)) if as_json else print
    from peergraph.graph.build import knowledge_graph

    published = publish(knowledge_graph(layout), target, report=progress, origin=files_of(layout))
    if as_json:
        return emit(json.dumps({"endpoint": target.query, "graphs": published}, indent=2) + "\n")
    else:
        print(f"published {len(published)} graphs, {sum(published.values())} triples, to {target.query}")
    return 0


def _password_given(args) -> str | None:
    """The password given by option: read from --password-file, or (deprecated) --password."""
    if args.password is not None:
        print(f"peergraph publish: --password shows the password to every user of this machine (ps); "
              f"use --password-file FILE or {PASSWORD_VARIABLE} instead", file=sys.stderr)
        return args.password
    if args.password_file is None:
        return None
    try:
        lines = args.password_file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise PeergraphError(f"--password-file {args.password_file}: cannot read it ({error}); "
                             "give a UTF-8 file whose first line is the password") from None
    if not lines or not lines[0]:
        raise PeergraphError(f"--password-file {args.password_file}: its first line is empty; "
                             "write the password on the first line")
    return lines[0]


def _target(args) -> Target:
    """Where to publish. A user and password written in a URL serve as --user and --password would (digest
    authentication included), unless those are given, and are taken out of the URLs, so that no message shows them."""
    urls, user, password = {}, args.user, _password_given(args)
    for option in ("endpoint", "update", "graph_store"):
        if getattr(args, option):
            urls[option], url_user, url_password = without_credentials(getattr(args, option))
            if user is None and url_user is not None:
                user, password = url_user, url_password if password is None else password
    if password is None:
        password = os.environ.get(PASSWORD_VARIABLE)
    if password is None and user is not None and sys.stdin.isatty():
        password = getpass.getpass(f"password of {user}: ")
    return Target(urls["endpoint"], urls.get("update", urls["endpoint"]), urls.get("graph_store"), user, password)
