{{ acteur_labels('marts_carte_filtered_acteur', 'marts_carte_acteur') }}
