"""Runs: replications, paired comparisons, sweeps, searches and calibration.

Built on the engine and the metrics; knows nothing of the command line or of
plots. Work goes to a local process pool or to Dask through :mod:`sim.runs.backends`.
"""
