"""All plotting (matplotlib imported lazily, never pyplot): a run's plots (:mod:`.run`),
NTK spectra (:mod:`.ntk`) and sweeps (:mod:`.sweep`). Plots read plain data — files of a
run directory, a report's JSON — and import nothing from the training stages."""
