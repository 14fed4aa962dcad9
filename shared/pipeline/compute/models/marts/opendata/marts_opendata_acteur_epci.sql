{{ acteur_epci('marts_opendata_filtered_acteur') }}
