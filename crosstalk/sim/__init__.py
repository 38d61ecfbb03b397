"""Simulation: the :class:`~crosstalk.sim.simulator.Simulator` (the only place that imports roadrunner) and the
:class:`~crosstalk.sim.result.Result` of a run (series, endpoints, provenance; it writes data, never draws)."""
