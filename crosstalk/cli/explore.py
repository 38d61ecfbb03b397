"""``crosstalk explore``: the prescription explorer, a local web app (:mod:`crosstalk.explore`)."""

from __future__ import annotations

import argparse

__all__ = ["add_parsers"]


def _cmd_explore(args: argparse.Namespace) -> int:
    from crosstalk.explore.server import serve

    where = f"http://{args.host}:{args.port}/"
    print(f"crosstalk explorer on {where} (Ctrl-C stops it)", flush=True)
    serve(args.scenario, host=args.host, port=args.port, show=not args.no_browser, optimise_run=args.optimise_run)
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``explore`` to the command line's subcommands."""
    from crosstalk.explore import DEFAULT_HOST, DEFAULT_PORT

    s = sub.add_parser("explore", help="explore prescriptions in the browser: a local web app over the model")
    s.add_argument("scenario", nargs="?", default=None,
                   help="a built-in scenario to start from (default aerobic_during_ac; files are uploaded in the page)")
    s.add_argument("--host", default=DEFAULT_HOST,
                   help=f"address to bind (default {DEFAULT_HOST}: only this machine can open the page)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT})")
    s.add_argument("--no-browser", action="store_true", help="do not open a browser window")
    s.add_argument("--optimise-run", default=None, metavar="DIR",
                   help="a finished crosstalk optimise run: its Pareto front, each prescription a click away")
    s.set_defaults(func=_cmd_explore)
