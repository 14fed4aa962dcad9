{{ filtered_parentpropositionservice('marts_carte_filtered_acteur') }}
