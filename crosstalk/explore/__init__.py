"""The prescription explorer: a local web app over the model (``crosstalk explore``).

- :mod:`crosstalk.explore.prescription`: prescriptions and regimens in the clinic's words -> scenarios.
- :mod:`crosstalk.explore.session`: one tab's state, a warm simulator, the comparison with sedentary care.
- :mod:`crosstalk.explore.figures`: the time courses and the Pareto front as Bokeh plots.
- :mod:`crosstalk.explore.app`: the page (Panel), one per browser tab.
- :mod:`crosstalk.explore.server`: serving it (:func:`crosstalk.explore.server.serve`).

Importing this package loads nothing else, so the command line's parser stays fast; import the module you need.
"""

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT"]

#: The address the server binds unless told otherwise: only this machine can open the page.
DEFAULT_HOST = "127.0.0.1"
#: Panel's usual port.
DEFAULT_PORT = 5006
