{{ propositionservice('marts_opendata_filtered_propositionservice', 'marts_opendata_propositionservice_sous_categories') }}
