// Package download is the source_data_download task of the LVAO source
// pipelines: it fetches a partner's open data and streams it, one
// transform.Row at a time, to a sink, so that a source of 10⁵–10⁶ rows is
// never held whole in memory.
//
// # Modes
//
// Config.FetchMode (the fetch_mode of shared/lvao/sources.json) picks the
// mode; when it is empty the endpoint's shape does, in the order of the
// Python fetch_data_from_endpoint (ModeForEndpoint):
//
//   - ModeS3XLSX, s3://bucket/key.xlsx: the first sheet of a workbook read
//     through Config.S3, its first non-blank row naming the columns;
//   - ModeDataFair, a data.ademe.fr or pointsapport.ademe.fr URL: data-fair
//     pages, each a JSON object whose results are decoded one row at a time,
//     following next until there is none;
//   - ModeArtisanat, apiopendata.artisanat.fr: total_entries from a call with
//     page=1&page_size=1, then pages of 1000 rows (under data) from page 1;
//   - ModePharmacies, ordre.pharmacien.fr: a ZIP saved to a temporary file,
//     whose "etablissements" member is a ';'-separated UTF-16-LE CSV;
//   - ModeJSON, any other http(s) URL without '?' nor a .zip/.csv suffix:
//     one JSON document, an array of rows or an object with results.
//
// Any other endpoint is ErrUnknownEndpoint.
//
// # Rows
//
// A JSON response is read as UTF-8 (invalid bytes become U+FFFD) unless its
// Content-Type names another charset, which then decodes it (as requests'
// response.json()); a UTF-8 byte order mark fails, as in Python.
//
// Cells come as the Python task left them in its DataFrame: JSON null is
// Missing; JSON numbers are cast to their Python text (numeric columns went
// through astype(str)); bools, strings, lists and objects are kept. The
// file modes type each column as pandas did (read twice: once to type, once
// to send): an integer column gives "7" for "007", a numeric column with
// empty cells gives floats, "True"/"false" columns give bools, NA markers
// ("", "NA", "null", "N/A"…) give Missing. Null-like strings ("n/a",
// "aucun", "-"…) are left to the normalisation.
//
// With Config.MetadataEndpoint (a data-fair schema), every row gets the
// expected columns it lacks as ""; Stats reports the expected columns no row
// had and the extra ones.
//
// # Failures
//
// Network errors, network timeouts (Config.RequestTimeout per wait, default
// 60 s), HTTP 429 and 5xx are retried (Config.MaxRetries, default 3, with a
// doubling backoff); a page retried after a broken connection skips the rows
// already sent. Then the error wraps an *HTTPStatusError, ErrInvalidJSON
// (an *InvalidJSONError with URL and byte offset), ErrUnexpectedResponse,
// ErrNotUTF16LE, ErrMissingColumn, ErrNoData or ErrUnknownEndpoint.
package download
