{{ acteur_epci('int_acteur') }}
