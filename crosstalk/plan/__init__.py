"""When things happen in a scenario: exercise sessions, drug administrations and the breakpoints the simulator
applies between integration segments. Knows nothing of files or studies."""
