package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
)

// cpuMeter measures, over a scenario, how busy the machine's CPUs were
// and how much of that was this process (the rest is Postgres and
// whatever else runs on the machine).
type cpuMeter struct {
	busy, total uint64
	self        time.Duration
	wall        time.Time
}

func procStat() (busy, total uint64) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	f := strings.Fields(line)
	for i, v := range f[1:] {
		n, _ := strconv.ParseUint(v, 10, 64)
		total += n
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return busy, total
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func startCPU() cpuMeter {
	b, t := procStat()
	return cpuMeter{busy: b, total: t, self: selfCPU(), wall: time.Now()}
}

// note tells CPU use since start: the machine's, this process's and
// (when known) the Postgres backends' of the scenario, per item.
func (m cpuMeter) note(ncpu int, r Result) string {
	b, t := procStat()
	if t <= m.total {
		return "CPU: unknown"
	}
	busy := float64(b-m.busy) / float64(t-m.total)
	self := selfCPU() - m.self
	s := fmt.Sprintf("CPU: machine %.0f%% busy (%d cores, shared with other work); benchmark process %.2f s", 100*busy, ncpu, self.Seconds())
	if r.Count > 0 {
		s += fmt.Sprintf(" (%.3f ms per %s)", float64(self)/float64(time.Millisecond)/float64(r.Count), singular(r.Unit))
	}
	if r.PGCPU > 0 {
		s += fmt.Sprintf("; its Postgres backends %.2f s", r.PGCPU.Seconds())
		if r.Count > 0 {
			s += fmt.Sprintf(" (%.3f ms per %s)", float64(r.PGCPU)/float64(time.Millisecond)/float64(r.Count), singular(r.Unit))
		}
	}
	return s
}

func singular(unit string) string { return strings.TrimSuffix(unit, "s") }

// backendCPU sums the CPU time (user+system) of the Postgres backends
// whose application_name is app, read from /proc (Postgres runs on this
// machine). The benchmark's pools are opened per scenario, so this is
// the scenario's Postgres CPU (WAL writer and other background processes
// not included).
func backendCPU(ctx context.Context, url, app string) (time.Duration, int) {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return 0, 0
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT pid FROM pg_stat_activity WHERE application_name = $1", app)
	if err != nil {
		return 0, 0
	}
	pids, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return 0, 0
	}
	var ticks uint64
	for _, pid := range pids {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		if err != nil {
			continue
		}
		s := string(b)
		i := strings.LastIndexByte(s, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(s[i+1:])
		if len(f) < 13 {
			continue
		}
		u, _ := strconv.ParseUint(f[11], 10, 64) // utime, field 14
		k, _ := strconv.ParseUint(f[12], 10, 64) // stime, field 15
		ticks += u + k
	}
	return time.Duration(ticks) * (time.Second / 100), len(pids) // USER_HZ is 100 on Linux
}
