package download

import "github.com/lvao/dataplatform/shared/pipeline/source/transform"

// decodeRow turns one JSON value, already checked by json.Decoder.Decode
// into a json.RawMessage, into a Row; ok is false when it is not an
// object. transform.DecodeValue scans the bytes directly (json.Decoder's
// Token costs a full decode per token, the hot path of a download) and
// falls back to its reference decoder on anything unusual.
func decodeRow(raw []byte) (r transform.Row, ok bool, err error) {
	v, err := transform.DecodeValue(raw)
	if err != nil {
		return transform.Row{}, true, err
	}
	r, ok = v.ObjectRow()
	return r, ok, nil
}
