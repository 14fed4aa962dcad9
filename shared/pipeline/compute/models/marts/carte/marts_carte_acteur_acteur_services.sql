{{ acteur_acteur_services('marts_carte_filtered_acteur', 'marts_carte_acteur') }}
