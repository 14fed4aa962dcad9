{{ acteur_labels('marts_opendata_filtered_acteur', 'marts_opendata_acteur') }}
