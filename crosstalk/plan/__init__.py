"""When things happen in a scenario and what values hold: :func:`plan` compiles a scenario once into a
:class:`Plan` (parameter values, exercise sessions, drug administrations, the breakpoints the simulator applies
between integration segments, the output grid). Knows nothing of files or studies."""

from crosstalk.plan.planner import Plan, plan

__all__ = ["Plan", "plan"]
