package transform

import (
	"fmt"
	"sync"
	"testing"
	"time"
	"unsafe"
)

// Column names are shared between rows, stay correct under concurrent
// decoding, and the table stops growing at its bound.
func TestInternKeyShared(t *testing.T) {
	t.Parallel()
	a := internKey([]byte("identifiant_externe_intern_test"))
	b := internKey([]byte("identifiant_externe_intern_test"))
	if a != "identifiant_externe_intern_test" || unsafe.StringData(a) != unsafe.StringData(b) {
		t.Fatalf("internKey: %q and %q are not one shared string", a, b)
	}
	long := make([]byte, 65)
	for i := range long {
		long[i] = 'x'
	}
	if got := internKey(long); got != string(long) {
		t.Fatalf("long key: got %q", got)
	}

	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				k := fmt.Sprintf("intern_test_%d_%d", g, i%1500)
				if got := internKey([]byte(k)); got != k {
					t.Errorf("internKey(%q) = %q", k, got)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := len(*keys.m.Load()); n > maxInterned {
		t.Fatalf("the table holds %d names, bound %d", n, maxInterned)
	}
}

// A full table answers a name it lacks without the writers' lock: the
// process's table fills with the first sources' names, and every column of
// a later source then took the lock for every key of every row.
func TestInternFullTableMissTakesNoLock(t *testing.T) {
	t.Parallel()
	var tab internTable
	for i := 0; len(mapOrEmpty(tab.m.Load())) < maxInterned; i++ {
		tab.intern([]byte(fmt.Sprintf("full_%d", i)))
	}
	tab.mu.Lock() // a writer holds it
	defer tab.mu.Unlock()
	got := make(chan string, 1)
	go func() { got <- tab.intern([]byte("later_source_column")) }()
	select {
	case s := <-got:
		if s != "later_source_column" {
			t.Fatalf("intern = %q", s)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a miss on a full table waited for the writers' lock")
	}
}
