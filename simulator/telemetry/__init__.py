"""What a run leaves behind: the recorder, the four tables and their schema, the cost ledger,
the run summary and the OpenMetrics export."""
