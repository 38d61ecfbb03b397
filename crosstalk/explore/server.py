"""Serving the explorer: ``crosstalk explore`` (a local web app; 127.0.0.1 unless told otherwise)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import panel as pn

from crosstalk.errors import InputError
from crosstalk.explore import DEFAULT_HOST, DEFAULT_PORT
from crosstalk.explore.app import create_app
from crosstalk.inputs import check_integer, check_text, did_you_mean
from crosstalk.spec.scenario import builtin_scenario_names
from crosstalk.studies.optimise.readback import read_optimisation

__all__ = ["serve"]


def serve(scenario: str | None = None, *, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          show: bool = True, threaded: bool = False, optimise_run: str | Path | None = None) -> Any:
    """Serve the explorer until interrupted (or, with ``threaded``, in the background: the server is returned).

    Parameters
    ----------
    scenario : str, optional
        A built-in scenario to start from (a file is uploaded in the page: the server reads no path it is given).
    host : str
        Address to bind; the default keeps the app on this machine.
    port : int
        Port, 1-65535.
    show : bool
        Open the page in the default browser.
    threaded : bool
        Return at once with the server running in a thread (tests, notebooks).
    optimise_run : str or Path, optional
        A finished ``crosstalk optimise`` run directory, read once here (by whoever starts the server; the page
        reads no path) and shown to every tab.
    """
    if scenario is not None and scenario not in builtin_scenario_names():
        names = builtin_scenario_names()
        raise InputError("scenario", scenario, did_you_mean(scenario, names) + "a built-in scenario (upload a file "
                                                                                "in the page): " + ", ".join(names))
    check_text("--host", host)
    check_integer("--port", port, low=1, high=65535)
    origins = [f"{host}:{port}", f"localhost:{port}", f"127.0.0.1:{port}"]
    optimisation = None if optimise_run is None else read_optimisation(optimise_run)

    def page() -> Any:  # called once per browser tab: each gets its own session
        return create_app(scenario, optimisation=optimisation)

    return pn.serve({"/": page}, address=host, port=port, show=show,
                    title="crosstalk explorer", websocket_origin=origins, threaded=threaded,
                    websocket_max_message_size=4_000_000, print=False)
