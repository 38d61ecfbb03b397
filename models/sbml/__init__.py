"""Generated SBML models, shipped as package data (crosstalk.sbml)."""
