"""Studies: many runs and what they mean (sensitivity, cohorts, comparisons, the prescription optimiser), the
executors that run them and the run directories that keep them."""
