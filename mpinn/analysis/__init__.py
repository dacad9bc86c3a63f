"""Stage 8, analysis over runs and models: NTK diagnostics (:mod:`.ntk`) and parameter
sweeps (:mod:`.sweep`)."""
