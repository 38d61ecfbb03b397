"""From data to parameters: scenarios and measurements as PEtab problems, fitted with pyPESTO.

:mod:`~crosstalk.calibrate.measurements` reads PEtab measurement tables; :mod:`~crosstalk.calibrate.problem`
builds and writes the problem (schedules as gated events, one condition per scenario);
:mod:`~crosstalk.calibrate.fit` runs multistart optimisation and profile likelihoods on it.
"""
