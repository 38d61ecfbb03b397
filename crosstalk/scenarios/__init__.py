"""Built-in scenarios, shipped as package data (crosstalk.scenarios)."""
