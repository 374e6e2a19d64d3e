"""Playing a drill: the drill and its clock, actions, the telemetry as of the clock, the SQL
sandbox, panels, the journal and transcript files."""
