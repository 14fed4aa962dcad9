{{ acteur_acteur_services('marts_opendata_filtered_acteur', 'marts_opendata_acteur') }}
