package main

import (
	"bytes"
	"os"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"time"
)

// procStatus returns fields of /proc/self/status in bytes (VmRSS, VmHWM…);
// 0 when unknown.
func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range bytes.Split(b, []byte("\n")) {
		k, v, ok := bytes.Cut(l, []byte(":"))
		if !ok || string(k) != field {
			continue
		}
		f := bytes.Fields(v)
		if len(f) == 0 {
			return 0
		}
		n, _ := strconv.ParseInt(string(f[0]), 10, 64)
		if len(f) > 1 && string(f[1]) == "kB" {
			n *= 1024
		}
		return n
	}
	return 0
}

// resetPeakRSS returns the heap's free memory to the OS and resets the
// process's VmHWM to its current RSS (Linux ≥ 4.0: "5" > clear_refs), so
// that the peak measured afterwards is the scenario's, not an earlier
// scenario's. It tells whether the reset worked.
func resetPeakRSS() bool {
	debug.FreeOSMemory()
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return false
	}
	return procStatus("VmHWM") <= procStatus("VmRSS")+(1<<20)
}

// rssSample is the process's RSS at one time.
type rssSample struct {
	At  time.Time
	RSS int64
}

// rssSampler reads VmRSS every interval, to tell which step the peak
// belongs to (VmHWM alone gives the peak but not when).
type rssSampler struct {
	mu      sync.Mutex
	samples []rssSample
	stop    chan struct{}
	done    chan struct{}
}

// startRSSSampler samples VmRSS every interval; with heapFile, it also
// writes a Go heap profile there whenever the RSS reaches a new high (by
// 32 MB at least), so the file ends with the profile nearest the peak.
func startRSSSampler(every time.Duration, heapFile string) *rssSampler {
	s := &rssSampler{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(every)
		defer t.Stop()
		var high int64
		for {
			rss := procStatus("VmRSS")
			s.mu.Lock()
			s.samples = append(s.samples, rssSample{At: time.Now(), RSS: rss})
			s.mu.Unlock()
			if heapFile != "" && rss > high+32<<20 {
				high = rss
				if f, err := os.Create(heapFile); err == nil {
					_ = pprof.Lookup("heap").WriteTo(f, 0)
					f.Close()
				}
			}
			select {
			case <-s.stop:
				return
			case <-t.C:
			}
		}
	}()
	return s
}

func (s *rssSampler) Stop() []rssSample {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// peakBetween is the highest sampled RSS in [from, to].
func peakBetween(samples []rssSample, from, to time.Time) int64 {
	var m int64
	for _, x := range samples {
		if !x.At.Before(from) && !x.At.After(to) && x.RSS > m {
			m = x.RSS
		}
	}
	return m
}

func mb(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 0, 64) + " MB" }
