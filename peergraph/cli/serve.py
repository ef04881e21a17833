"""``peergraph serve``: its options, checked, then the endpoint served until Ctrl-C or SIGTERM."""

from __future__ import annotations

from peergraph.cli.options import layout_of
from peergraph.endpoint.server import is_loopback, serve_until_stopped, warnings_to_stderr
from peergraph.endpoint.service import Settings
from peergraph.errors import PeergraphError
from peergraph.graph.build import knowledge_graph


def add_options(serve) -> None:
    """The options of ``serve`` (declared in ``peergraph.cli``), added once the command is chosen."""
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, loopback only)")
    serve.add_argument("--port", type=int, default=7878, help="port (default: 7878)")
    serve.add_argument("--workers", type=int, default=Settings.workers,
                       help=f"queries that have used 0.2 s of CPU allowed to run at once (default: "
                            f"{Settings.workers}); one more is stopped with a 503")
    serve.add_argument("--time-limit", type=float, default=Settings.time_limit, metavar="SECONDS",
                       help=f"time limit per query (default: {Settings.time_limit:g})")
    serve.add_argument("--row-limit", type=int, default=Settings.row_limit, metavar="ROWS",
                       help=f"most rows (or triples) a query may return (default: {Settings.row_limit})")
    serve.add_argument("--no-cache", action="store_true", help="evaluate every query, even one answered before")
    serve.add_argument("--allow-networked-workers", action="store_true",
                       help="start even where the query workers cannot be cut off from the network (no network "
                            "namespace: not root and no user namespaces, or a container without CAP_SYS_ADMIN); "
                            "SERVICE and LOAD are then kept out by the query checks alone. Without it, serve "
                            "refuses to start on such a host")
    serve.set_defaults(run=_serve)


def _serve(args) -> int:
    if args.workers < 1 or args.time_limit <= 0 or args.row_limit < 1:
        raise PeergraphError("--workers and --row-limit must be at least 1 and --time-limit above 0")
    if not 0 <= args.port <= 65535:
        raise PeergraphError(f"--port {args.port} is not a TCP port; use 1-65535 (or 0 for any free port)")
    layout = layout_of(args)
    settings = Settings(args.workers, args.time_limit, args.row_limit, 0 if args.no_cache else Settings.cache_bytes,
                        allow_networked_workers=args.allow_networked_workers)
    if not is_loopback(args.host):
        print(f"peergraph: warning: listening on {args.host}, reachable from other machines", flush=True)
    warnings_to_stderr()
    serve_until_stopped(lambda: knowledge_graph(layout), layout, settings, args.host, args.port)
    return 0
