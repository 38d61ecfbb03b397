"""The model layer: manifests, parameter tables, observables, the registry and the build to SBML.

The model sources themselves are data, in ``crosstalk/models/<module>/`` (``model.ant``, ``parameters.toml``,
``manifest.toml``) with the generated SBML in ``crosstalk/models/sbml/``. This package reads them; it knows
nothing of scenarios or runs.
"""
