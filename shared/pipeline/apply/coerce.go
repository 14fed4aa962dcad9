package apply

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/lvao/dataplatform/shared/pyfmt"
)

// Values reach a model field from three places: the text of a suggestion
// unit (valeurs are text), and the JSON of a legacy suggestion or of a
// change's data (decoded with UseNumber, so a number keeps its literal).
// convert turns them into the column's Go value as Django's Field.to_python
// and get_prep_value do on save: a CharField stores str(value), a
// BooleanField accepts True/False and their texts, a ForeignKey id must be
// an integer.

// convert returns v as the value of column c of the Django model named
// model (the TypeError of a location names it).
func (c *column) convert(model string, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case colText, colParent:
		return pyStr(v)
	case colBool:
		return toBool(v)
	case colFK:
		return toID(v)
	case colLocation:
		if s, ok := v.(string); ok {
			// A WKB/EWKB hex or WKT text, as GEOSGeometry accepts it (the
			// legacy suggestions carry the location as WKB hex).
			if strings.TrimSpace(s) == "" {
				return nil, nil
			}
			return s, nil
		}
		// GeoDjango's SpatialProxy.__set__: the instance's class name and
		// type(value) as Python prints it.
		return nil, fmt.Errorf("Cannot set %s SpatialProxy (POINT) with value of type: <class '%s'>", model, pyTypeName(v))
	}
	return nil, fmt.Errorf("unknown column kind for %s", c.name)
}

// pyStr is Python's str() of a JSON value, for text fields.
func pyStr(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "True", nil
		}
		return "False", nil
	case json.Number:
		return pyNumberStr(x), nil
	case float64:
		return pyFloatRepr(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int32:
		return strconv.Itoa(int(x)), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	}
	return "", fmt.Errorf("unsupported value of type %s for a text field", pyTypeName(v))
}

// pyNumberStr is str() of the number json.loads gives for a literal: an
// int is printed as written, a float as Python's repr.
func pyNumberStr(n json.Number) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return pyFloatRepr(f)
}

// pyFloatRepr is Python's repr(float): the shortest round-trip digits,
// positional between 1e-4 and 1e16 (with at least one decimal), else
// scientific with a two-digit exponent.
func pyFloatRepr(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64)
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}

// toBool is BooleanField(null=True).to_python.
func toBool(v any) (any, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case string:
		switch x {
		case "t", "True", "1":
			return true, nil
		case "f", "False", "0":
			return false, nil
		case "":
			return nil, nil
		}
	case json.Number:
		switch string(x) {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
	}
	s, _ := pyStr(v)
	return nil, fmt.Errorf("“%s” value must be either True, False, or None.", s)
}

// toID is an integer primary key (get_prep_value of an AutoField).
func toID(v any) (any, error) {
	var s string
	switch x := v.(type) {
	case json.Number:
		s = string(x)
	case string:
		s = strings.TrimSpace(x)
	case int32:
		return x, nil
	case int:
		return int32(x), nil
	case int64:
		return int32(x), nil
	default:
		r, _ := pyStr(v)
		return nil, fmt.Errorf("Field 'id' expected a number but got %s.", pyfmt.Repr(r))
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil {
		return nil, fmt.Errorf("Field 'id' expected a number but got %s.", pyfmt.Repr(s))
	}
	return int32(n), nil
}

// pyFloat is Python's float() of a text or a number (the latitude and
// longitude of a suggestion).
func pyFloat(v any) (float64, error) {
	switch x := v.(type) {
	case json.Number:
		return strconv.ParseFloat(string(x), 64)
	case float64:
		return x, nil
	case string:
		f, err := strconv.ParseFloat(strings.ReplaceAll(strings.TrimSpace(x), "_", ""), 64)
		if err != nil {
			return 0, fmt.Errorf("could not convert string to float: %s", pyfmt.Repr(x))
		}
		return f, nil
	}
	return 0, fmt.Errorf("float() argument must be a string or a real number, not '%s'", pyTypeName(v))
}

// pointEWKT is Point(longitude, latitude) with the field's SRID 4326.
func pointEWKT(lon, lat float64) string {
	return "SRID=4326;POINT(" + strconv.FormatFloat(lon, 'g', -1, 64) + " " + strconv.FormatFloat(lat, 'g', -1, 64) + ")"
}

// jsonPoint is Point(data["longitude"], data["latitude"]) from a change's
// data: GEOS accepts numbers only.
func jsonPoint(lon, lat any) (string, error) {
	x, okx := lon.(json.Number)
	y, oky := lat.(json.Number)
	if !okx || !oky {
		return "", fmt.Errorf("Invalid parameters given for Point initialization.")
	}
	fx, err := strconv.ParseFloat(string(x), 64)
	if err != nil {
		return "", err
	}
	fy, err := strconv.ParseFloat(string(y), 64)
	if err != nil {
		return "", err
	}
	return pointEWKT(fx, fy), nil
}

func pyTypeName(v any) string {
	switch x := v.(type) {
	case nil:
		return "NoneType"
	case string:
		return "str"
	case bool:
		return "bool"
	case json.Number:
		// json.loads gives an int for a literal without fraction or exponent.
		if !strings.ContainsAny(string(x), ".eE") {
			return "int"
		}
		return "float"
	case float64:
		return "float"
	case map[string]any:
		return "dict"
	case []any:
		return "list"
	}
	return fmt.Sprintf("%T", v)
}

// subscriptError is the TypeError of v["key"] when v is no dict (a JSON
// object): Python's text for a list, a str and the other types.
func subscriptError(v any) error {
	switch v.(type) {
	case []any:
		return fmt.Errorf("list indices must be integers or slices, not str")
	case string:
		return fmt.Errorf("string indices must be integers, not 'str'")
	}
	return fmt.Errorf("'%s' object is not subscriptable", pyTypeName(v))
}
