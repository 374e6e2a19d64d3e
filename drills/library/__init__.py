"""The scenario library: scenario, key and transcript files, variants, the author's causal
check, sealed packs for interviews and what-if sweep files."""
