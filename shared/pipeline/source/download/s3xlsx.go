package download

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/xuri/excelize/v2"
)

// s3XLSX is constants.download.s3_xlsx: s3://bucket/key.xlsx read from
// Config.S3; the first sheet's first non-blank row names the columns (as
// pandas.read_excel).
//
// excelize keeps the compressed workbook in memory (its OpenReader reads it
// whole) but streams the sheet: worksheets over 16 MiB of XML are unzipped
// to temporary files and rows are read one at a time.
func (d *downloader) s3XLSX(ctx context.Context) error {
	bucket, key := splitS3(d.cfg.Endpoint)
	obj, err := d.cfg.S3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return fmt.Errorf("error downloading %s: %w", d.cfg.Endpoint, err)
	}
	f, err := excelize.OpenReader(obj.Body)
	obj.Body.Close()
	if err != nil {
		return fmt.Errorf("%w from %s: not an xlsx workbook: %v", ErrUnexpectedResponse, d.cfg.Endpoint, err)
	}
	defer f.Close()
	d.stats.Pages++
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return fmt.Errorf("error reading %s: %w: the workbook has no sheet", d.cfg.Endpoint, ErrNoData)
	}
	sheet := sheets[0]
	what := fmt.Sprintf("sheet %q of %s", sheet, d.cfg.Endpoint)
	d.log.Info("download: workbook read", "sheet", sheet)
	open := func() (records, error) {
		raw, err := f.Rows(sheet)
		if err != nil {
			return nil, fmt.Errorf("error reading %s: %w", what, err)
		}
		shown, err := f.Rows(sheet)
		if err != nil {
			raw.Close()
			return nil, fmt.Errorf("error reading %s: %w", what, err)
		}
		return &xlsxRows{raw: raw, shown: shown}, nil
	}
	return d.readTable(open, tableOptions{what: what, widen: true})
}

// splitS3 is the Python split of s3://bucket/a/b.xlsx into bucket and key.
func splitS3(endpoint string) (bucket, key string) {
	rest := strings.TrimPrefix(endpoint, "s3://")
	bucket, key, _ = strings.Cut(rest, "/")
	return bucket, key
}

// xlsxRows reads a sheet's rows as openpyxl gave them to pandas: a number
// as stored (not as its display format shows it), a boolean cell as
// TRUE/FALSE. excelize's raw values show booleans as 1/0, so a second
// iterator reads the displayed values in step to recognise them.
type xlsxRows struct {
	raw, shown *excelize.Rows
}

func (x *xlsxRows) Next() ([]string, error) {
	okRaw, okShown := x.raw.Next(), x.shown.Next()
	if !okRaw {
		if err := x.raw.Error(); err != nil {
			return nil, err
		}
		return nil, io.EOF
	}
	cells, err := x.raw.Columns(excelize.Options{RawCellValue: true})
	if err != nil || !okShown {
		return cells, err
	}
	shown, err := x.shown.Columns()
	if err != nil {
		return nil, err
	}
	for i, c := range cells {
		if (c == "1" || c == "0") && i < len(shown) && (shown[i] == "TRUE" || shown[i] == "FALSE") {
			cells[i] = shown[i]
		}
	}
	return cells, nil
}

func (x *xlsxRows) Close() error { return errors.Join(x.raw.Close(), x.shown.Close()) }
