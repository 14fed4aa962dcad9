{{ acteur('marts_carte_filtered_acteur', 'marts_carte_propositionservice', 'marts_carte_acteur_epci') }}
