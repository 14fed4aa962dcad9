{{ acteur_epci('marts_carte_filtered_acteur') }}
