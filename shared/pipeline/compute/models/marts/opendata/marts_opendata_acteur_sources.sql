{{ acteur_sources('marts_opendata_filtered_acteur', 'marts_opendata_acteur') }}
