"""The release lab: the ASR slice gate and release manifest, the rollback packet, the
voice-agent first-response budget (the course's production exercises)."""
