"""The offline Composer's planning, one module per concern: `form` (sections, bars, meter, tempo),
`harmony` (key, progressions, cadences), `motifs`, `orchestration` (the ensemble) and `lyrics`;
`agents.planning.plan_composition` puts them together. Music knowledge itself (styles,
ensembles, scales, chords, cadences) lives in the ontology."""
