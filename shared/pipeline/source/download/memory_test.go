package download

import (
	"fmt"
	"runtime"
	"testing"

	"github.com/lvao/dataplatform/shared/pipeline/source/transform"
)

// TestLargeDataFairBoundedMemory downloads 200,000 rows over 20 pages and
// checks, from the sink, that the heap stays far below what holding the
// rows would take (about 3 KB a row of 38 columns: 600 MB). It is a sanity
// bound, not a speed test. Under the race detector (CI) it downloads 50,000
// rows, which would still take 150 MB if held.
//
// Not parallel on purpose: HeapInuse is the whole process's, so the test
// runs before the parallel ones start, alone. The server writes its pages
// row by row, so it holds no page either.
func TestLargeDataFairBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("large download")
	}
	pages, perPage := 20, 10_000
	if raceEnabled {
		perPage = 2_500
	}
	srv := dataFairServer(t, pages, perPage, ecoSchema())
	cfg := testConfig(t, fmt.Sprintf("%s/lines?size=%d", srv.URL, perPage), ModeDataFair)
	cfg.MetadataEndpoint = srv.URL + "/schema"
	cfg.Logger = nil // one log line per page only; keep the output short

	runtime.GC()
	var ms runtime.MemStats
	var peak uint64
	n := 0
	st, err := Download(t.Context(), cfg, func(r transform.Row) error {
		if got := r.Get("id_point_apport_ou_reparation").Str(); got != fmt.Sprintf("ID-%d", n) {
			return fmt.Errorf("row %d has id %q", n, got)
		}
		if n%2000 == 0 {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatalf("Download: %v", err)
	}
	if st.Rows != int64(pages*perPage) || st.Pages != pages || n != pages*perPage {
		t.Fatalf("stats %+v, %d rows seen", st, n)
	}
	t.Logf("peak HeapInuse %.1f MB over %d rows", float64(peak)/(1<<20), n)
	if peak > 100<<20 {
		t.Errorf("peak HeapInuse %d MB, want < 100 MB: the download holds rows", peak>>20)
	}
}
