{{ filtered_parentpropositionservice('marts_opendata_filtered_acteur') }}
