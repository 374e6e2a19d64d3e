"""Team drills: one incident, a team with roles, and the communication judged too.

- model.py: the team (members and their roles), the channel's posts, the entries of a
  team's log, a scenario's team plan (`team.yaml`: the right severity, the update cadence,
  the facilitator's injects);
- drill.py: the shared team drill over one `Drill` (one fleet, one timeline of actions),
  each member's own clock, the team's clock, and the channel;
- rubric.py: the phrasings a role's posts are read for (impact, scope, current action, the
  next update's time, a reason, a stated cause), in the answer matcher's own terms;
- judging.py: the one adapter to drills/judge (the language judge and the drill score);
- scoring.py: the team's score: the drill's components credited to whoever earned them,
  the commander's, the communications role's and the team's coordination;
- store.py: team drills and their signed, append-only logs in SQLite (a restart resumes).
"""
