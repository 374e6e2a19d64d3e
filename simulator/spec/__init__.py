"""What a run is made of, as files a user writes: fleets, faults, timelines, workloads, real
arrival traces, latency profiles and the quality models."""
