"""Real torch models, their profiler, and a real batching server.

oneDNN keeps the kernels it compiles per input shape (primitives) in an LRU cache of 1024
by default. The TTS vocoder warmed at every length bucket and batch size needs more: each
eviction recompiles at up to twice a batch's cost (a sweep over the 64 served TTS shapes
took 9.2 s with the default, 6.8 s with room for all). oneDNN reads the setting when it
builds its first primitive, so it is set on import; a user's own setting wins.

On import the C allocator is also told to keep freed memory (see `allocator`): otherwise
every batch of a new shape faults its activations in afresh, by a different amount each run.
"""

import os

os.environ.setdefault("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "16384")

from real_backend.allocator import keep_freed_memory

keep_freed_memory()
