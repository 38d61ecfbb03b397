"""Figures and HTML reports built from results (never runs simulations)."""
