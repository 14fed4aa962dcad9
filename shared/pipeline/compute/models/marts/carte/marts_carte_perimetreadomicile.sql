{{ perimetreadomicile('marts_carte_acteur') }}
