{{ perimetreadomicile('marts_opendata_acteur') }}
