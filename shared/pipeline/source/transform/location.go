package transform

import (
	"encoding/binary"
	"encoding/hex"
	"math"
	"strings"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// Coordinates. Sources give latitude and longitude as numbers or as French
// decimal text ("48,85"); LVAO stores the point as WKB hex (PostGIS
// geography(Point,4326)).

// ParseAnyToFloat is parse_any_to_float: a float is kept (NaN gives
// missing); a string loses one trailing ',', then ',' becomes '.', and is
// parsed; anything else (an int, a bool, text that does not parse) gives
// missing (ok false).
func ParseAnyToFloat(v Value) (float64, bool) {
	switch v.Kind() {
	case KindFloat:
		return v.float(), true
	case KindString:
		s := v.str
		// re.sub(r",$", "", s): $ also matches before a final "\n".
		if strings.HasSuffix(s, ",") {
			s = s[:len(s)-1]
		} else if strings.HasSuffix(s, ",\n") {
			s = s[:len(s)-2] + "\n"
		}
		s = strings.ReplaceAll(s, ",", ".")
		f, ok := parsePyFloat(s)
		if !ok || math.IsNaN(f) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

func floatOrMissing(f float64, ok bool) Value {
	if !ok {
		return Missing
	}
	return Float(f)
}

// PointWKB returns the WKB hex (little-endian, no SRID) of
// POINT(longitude latitude), as shapely's wkb.dumps(Point(lon, lat)).hex().
func PointWKB(longitude, latitude float64) string {
	var b [21]byte
	b[0] = 1 // little-endian
	binary.LittleEndian.PutUint32(b[1:5], 1)
	binary.LittleEndian.PutUint64(b[5:13], math.Float64bits(longitude))
	binary.LittleEndian.PutUint64(b[13:21], math.Float64bits(latitude))
	return hex.EncodeToString(b[:])
}

// ComputeLocation is the dataframe transform compute_location (origin
// [latitude, longitude]; destination [location, latitude, longitude]).
// The location is missing when a coordinate is missing or 0: a 0 means
// "unknown" in the sources, and such acteurs are later dropped unless
// digital.
func ComputeLocation(in Row, _ *SourceConfig) (Row, error) {
	for _, c := range []string{"latitude", "longitude"} {
		if !in.Has(c) {
			return Row{}, newFatal(ExcKeyError, "'%s'", c)
		}
	}
	lat, latOK := ParseAnyToFloat(in.Get("latitude"))
	lon, lonOK := ParseAnyToFloat(in.Get("longitude"))
	location := Missing
	if latOK && lonOK && lat != 0 && lon != 0 {
		location = String(PointWKB(lon, lat))
	}
	return NewRow(
		Field{"location", location},
		Field{"latitude", floatOrMissing(lat, latOK)},
		Field{"longitude", floatOrMissing(lon, lonOK)},
	), nil
}

// GetLatLngFromGeopoint is the dataframe transform get_latlng_from_geopoint
// (origin [_geopoint]; destination [latitude, longitude]): data-fair's
// "lat,lon". An empty _geopoint is a GeopointWarning; text that does not
// parse is a ValueError upstream (the task fails).
func GetLatLngFromGeopoint(in Row, _ *SourceConfig) (Row, error) {
	v, ok := in.Lookup("_geopoint")
	if !ok {
		return Row{}, newFatal(ExcKeyError, "'_geopoint'")
	}
	if !v.Truthy() {
		return Row{}, newWarning(ExcGeopointWarning, "La colonne _geopoint est requise")
	}
	parts := strings.Split(v.PyStr(), ",")
	if len(parts) < 2 {
		return Row{}, newFatal("IndexError", "list index out of range")
	}
	lat, ok1 := parsePyFloat(parts[0])
	lon, ok2 := parsePyFloat(parts[1])
	if !ok1 || !ok2 {
		return Row{}, newFatal(ExcValueError, "could not convert string to float: %s", pyfmt.Repr(v.PyStr()))
	}
	return NewRow(Field{"latitude", Float(lat)}, Field{"longitude", Float(lon)}), nil
}
