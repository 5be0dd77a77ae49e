"""The data layer: corpus loaders, lexicons, word splitting and the demo corpus generator (and the
lexicon files it ships)."""
