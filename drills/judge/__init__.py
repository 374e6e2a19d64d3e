"""Judging a drill: scoring, the language judge (matcher), the cause catalogue, evidence,
alert rules, the debrief and a trainee's history."""
