"""The run service: runs cached by their timeline, paused live runs, forked workers and the
shared as-of views, behind one `Runs` object that whoever needs runs is handed."""
