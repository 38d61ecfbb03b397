"""From data to parameters to answers with intervals.

:mod:`~crosstalk.calibrate.measurements` reads PEtab measurement tables; :mod:`~crosstalk.calibrate.problem`
builds and writes the problem (schedules as gated events, one condition per scenario);
:mod:`~crosstalk.calibrate.fit` runs multistart optimisation and profile likelihoods on it.
:mod:`~crosstalk.calibrate.ensemble` draws parameter sets from the tables' uncertainty and runs scenarios over them;
:mod:`~crosstalk.calibrate.uncertainty` summarises them as intervals and the quantities that decide each answer.
"""
