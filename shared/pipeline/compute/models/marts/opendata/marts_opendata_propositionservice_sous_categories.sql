{{ propositionservice_sous_categories('marts_opendata_filtered_acteur', 'marts_opendata_filtered_propositionservice', 'marts_opendata_filtered_parentpropositionservice') }}
