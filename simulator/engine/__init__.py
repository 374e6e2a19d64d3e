"""The event loop and what it moves: the request lifecycle, pools, routing, the autoscaler.
SimPy's private state is touched in `loop.py` and `calls.py` only."""
