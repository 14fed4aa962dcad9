{{ acteur_sources('marts_carte_filtered_acteur', 'marts_carte_acteur') }}
