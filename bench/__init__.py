"""The benchmark: ``python -m bench`` from the repository root (``bash bench/run.sh``)."""
