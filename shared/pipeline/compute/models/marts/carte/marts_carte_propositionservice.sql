{{ propositionservice('marts_carte_filtered_propositionservice', 'marts_carte_propositionservice_sous_categories') }}
