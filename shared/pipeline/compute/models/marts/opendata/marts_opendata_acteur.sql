{{ acteur('marts_opendata_filtered_acteur', 'marts_opendata_propositionservice', 'marts_opendata_acteur_epci') }}
