{{ propositionservice_sous_categories('marts_carte_filtered_acteur', 'marts_carte_filtered_propositionservice', 'marts_carte_filtered_parentpropositionservice') }}
