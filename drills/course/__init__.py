"""The course beyond drills: the written exam and the release lab."""
