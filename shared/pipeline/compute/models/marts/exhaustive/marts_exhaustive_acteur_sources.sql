{{ acteur_sources('marts_exhaustive_acteur', 'marts_exhaustive_acteur') }}
