"""The commands that help write inputs: ``crosstalk new`` (a scenario file to edit, from a built-in one) and
``crosstalk parameters`` (a model's parameters with their values per species, units, basis and sources)."""

from __future__ import annotations

import argparse
from importlib import resources
from pathlib import Path

from crosstalk.errors import InputError

__all__ = ["add_parsers"]


def _cmd_parameters(args: argparse.Namespace) -> int:
    import textwrap

    from crosstalk.model.parameters import SPECIES, parameter_table
    from crosstalk.model.registry import model_names

    if args.model not in model_names():
        raise InputError("--model", args.model, f"one of {', '.join(model_names())}")
    word = (args.search or "").lower()
    shown = 0
    for p in parameter_table(args.model):
        text = " ".join((p.id, p.description, p.source, p.translation or "")).lower()
        if word and word not in text:
            continue
        values = ", ".join(f"{sp} {p.value_for(sp):.4g}" for sp in SPECIES)
        print(f"{p.id}  [{p.unit}]  {values}  ({p.basis})")
        print(textwrap.fill(p.description, width=110, initial_indent="    ", subsequent_indent="    "))
        print(textwrap.fill(f"source: {p.source}", width=110, initial_indent="    ", subsequent_indent="      "))
        u = p.uncertainty
        if u is not None:
            spread = (f"{u.distribution} {u.central_interval()[0]:.4g} to {u.central_interval()[1]:.4g} (95 %); "
                      if u.uncertain else "none: ")
            print(textwrap.fill(f"uncertainty: {spread}{u.basis}", width=110, initial_indent="    ",
                                subsequent_indent="      "))
        shown += 1
    if not shown:
        raise InputError("--search", args.search, f"a word found in an id, description or source of the "
                                                  f"{args.model!r} model's parameters")
    return 0


def _cmd_new(args: argparse.Namespace) -> int:
    import re

    from crosstalk.files import write_text_atomic
    from crosstalk.spec.scenario import builtin_scenario_names, load_scenario

    if args.source not in builtin_scenario_names():
        raise InputError("--from", args.source, "a built-in scenario's name (crosstalk list)")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", args.name):
        raise InputError("NAME", args.name, "letters, digits, '_', '-' or '.' (the file is NAME.toml)")
    target = Path(args.dir) / f"{args.name}.toml"
    if target.exists() and not args.force:
        raise InputError("NAME", str(target), "a file that does not exist yet (or --force to overwrite it)")
    text = (resources.files("crosstalk.scenarios") / f"{args.source}.toml").read_text(encoding="utf-8")
    header = (f"# Written by `crosstalk new {args.name} --from {args.source}`: the built-in scenario with its "
              f"comments;\n# change what you need, then `crosstalk check {target.name}` and "
              f"`crosstalk simulate {target.name}`.\n")
    text = header + re.sub(r'^name = ".*"$', f'name = "{args.name}"', text, count=1, flags=re.MULTILINE)
    write_text_atomic(target, text)
    load_scenario(target)  # the template is valid as written
    print(f"{target} (from {args.source})")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``new`` and ``parameters`` to the command line's subcommands."""
    s = sub.add_parser("new", help="write a scenario file to edit, copied with its comments from a built-in one")
    s.add_argument("name", metavar="NAME", help="the new scenario's name (written to NAME.toml)")
    s.add_argument("--from", dest="source", default="aerobic_during_ac",
                   help="built-in scenario to start from (default: aerobic_during_ac)")
    s.add_argument("--dir", default=".", help="where to write NAME.toml (default: here)")
    s.add_argument("--force", action="store_true", help="overwrite an existing NAME.toml")
    s.set_defaults(func=_cmd_new)

    s = sub.add_parser("parameters", help="list a model's parameters: value per species, unit, basis and source")
    s.add_argument("--model", default="crosstalk", help="model (default: crosstalk, the composed model)")
    s.add_argument("--search", default=None, metavar="WORD", help="only parameters whose id, description or "
                                                                   "source contains WORD")
    s.set_defaults(func=_cmd_parameters)
