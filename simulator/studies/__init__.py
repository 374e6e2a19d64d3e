"""Many runs answering one question: what-if sweeps and the analytic (queueing theory)
validation."""
