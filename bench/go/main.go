// Side-by-side benchmark of opentelemetry-go for cotel's `make bench`.
//
// Same cases, span counts, configuration and metrics as
// bench/bench_spans.c (docs/bench.md says how each case is made equal): a
// batch span processor (queue 262144, batch 512) feeding an exporter that
// discards; medians of several runs of wall time and thread CPU time per op
// (the main goroutine is locked to its OS thread, so CLOCK_THREAD_CPUTIME_ID
// is its CPU time); a JSON file of {"case", "impl", "metric", "value"}.
// scripts/bench.sh runs this once per round, interleaved with C and Rust.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func init() { runtime.LockOSThread() } // main runs on this thread only

const (
	clockProcessCPU = 2 // CLOCK_PROCESS_CPUTIME_ID
	clockThreadCPU  = 3 // CLOCK_THREAD_CPUTIME_ID
)

func cpuNs(clk uintptr) int64 {
	var ts syscall.Timespec
	syscall.RawSyscall(syscall.SYS_CLOCK_GETTIME, clk, uintptr(unsafe.Pointer(&ts)), 0)
	return ts.Nano()
}

// discardExporter counts and drops every span, like the C bench's exporter.
type discardExporter struct{ exported atomic.Uint64 }

func (e *discardExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.exported.Add(uint64(len(s)))
	return nil
}
func (e *discardExporter) Shutdown(context.Context) error { return nil }

type result struct {
	Case   string  `json:"case"`
	Impl   string  `json:"impl"`
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Note   string  `json:"note,omitempty"`
}

var (
	runs    = flag.Int("runs", 7, "runs per case (median reported)")
	scale   = flag.Float64("scale", 1, "multiply iteration counts")
	outPath = flag.String("json", "", "write results as JSON here")
	results []result
)

const queueSize = 1 << 18 // same as the C and Rust drivers
const batchSize = 512

func newProvider(s sdktrace.Sampler) (*sdktrace.TracerProvider, *discardExporter) {
	exp := &discardExporter{}
	bsp := sdktrace.NewBatchSpanProcessor(exp,
		sdktrace.WithMaxQueueSize(queueSize),
		sdktrace.WithMaxExportBatchSize(batchSize),
		sdktrace.WithBatchTimeout(5*time.Second))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(s),
		sdktrace.WithSpanProcessor(bsp))
	return tp, exp
}

func median(v []float64) float64 {
	sort.Float64s(v)
	return v[len(v)/2]
}

func metric(name, m string, v float64, note string) {
	results = append(results, result{name, "go", m, v, note})
}

// report records the median of vals (the maximum for allocs_per_op).
func report(name, m, note string, vals []float64) {
	v := median(vals)
	if m == "allocs_per_op" {
		v = vals[len(vals)-1]
	}
	fmt.Printf("%-28s %10.3f %s  %s\n", name, v, m, note)
	metric(name, m, v, note)
}

// bench times fn(n) `runs` times (after one warm-up): wall and thread CPU
// per op; with between (the drain of a span case), also the CPU of the
// other threads (export goroutine, GC) from the run's start to the end of
// between, per op.
func bench(name string, n int, note string, fn func(n int), between func()) {
	n = int(float64(n) * *scale)
	if n < 4 {
		n = 4
	}
	fn(n / 4) // warm-up: pools, caches, the exporter goroutine
	if between != nil {
		between()
	}
	var wall, cpu, other []float64
	for r := 0; r < *runs; r++ {
		runtime.GC()
		p0, c0 := cpuNs(clockProcessCPU), cpuNs(clockThreadCPU)
		t0 := time.Now()
		fn(n)
		el := time.Since(t0)
		c1 := cpuNs(clockThreadCPU)
		if between != nil {
			between()
		}
		c2, p2 := cpuNs(clockThreadCPU), cpuNs(clockProcessCPU)
		wall = append(wall, float64(el.Nanoseconds())/float64(n))
		cpu = append(cpu, float64(c1-c0)/float64(n))
		o := float64((p2 - p0) - (c2 - c0))
		if o < 0 {
			o = 0
		}
		other = append(other, o/float64(n))
	}
	w, c, o := median(wall), median(cpu), median(other)
	fmt.Printf("%-28s %10.1f ns/op  thread cpu %.1f", name, w, c)
	metric(name, "ns_per_op", w, note)
	metric(name, "thread_cpu_ns_per_op", c, "")
	if between != nil {
		fmt.Printf("  export cpu %.1f", o)
		metric(name, "export_cpu_ns_per_op", o, "")
	}
	fmt.Printf("  %s\n", note)
}

// spanCase runs a start+end loop on a fresh provider and counts drops.
func spanCase(name string, n int, s sdktrace.Sampler, note string, body func(tr trace.Tracer, n int)) {
	tp, exp := newProvider(s)
	tr := tp.Tracer("bench")
	var total uint64
	bench(name, n, note, func(n int) {
		body(tr, n)
		total += uint64(n)
	}, func() {
		// Untimed: drain so every run starts with an empty queue.
		_ = tp.ForceFlush(context.Background())
	})
	_ = tp.Shutdown(context.Background())
	if s.Description() != "AlwaysOffSampler" {
		got := exp.exported.Load()
		dropped := float64(0)
		if got < total {
			dropped = float64(total - got)
			fmt.Printf("  note: %s dropped %d of %d spans (queue full)\n", name, total-got, total)
		}
		metric(name, "dropped", dropped, "")
	}
}

var attrs = []attribute.KeyValue{
	attribute.String("http.request.method", "GET"),
	attribute.String("url.path", "/api/v1/users/42"),
	attribute.Int64("http.response.status_code", 200),
	attribute.Float64("server.load", 0.75),
}

// fixedCarrier is the carrier shape of the C bench: a preallocated fixed
// array of 8 header slots, reset per request. A slot holds the name and
// value strings as given (the propagator has already made them).
type fixedCarrier struct {
	names, values [8]string
	n             int
}

func (c *fixedCarrier) Get(key string) string {
	for i := 0; i < c.n; i++ {
		if c.names[i] == key {
			return c.values[i]
		}
	}
	return ""
}

func (c *fixedCarrier) Set(key, value string) {
	for i := 0; i < c.n; i++ {
		if c.names[i] == key {
			c.values[i] = value
			return
		}
	}
	if c.n < len(c.names) {
		c.names[c.n], c.values[c.n] = key, value
		c.n++
	}
}

func (c *fixedCarrier) Keys() []string { return c.names[:c.n] }

func main() {
	flag.Parse()
	ctx := context.Background()
	runtime.GOMAXPROCS(runtime.NumCPU())

	// The span counts are the same in bench_spans.c and bench/rust.
	spanCase("span_start_end", 200000, sdktrace.AlwaysSample(), "", func(tr trace.Tracer, n int) {
		for i := 0; i < n; i++ {
			_, sp := tr.Start(ctx, "op")
			sp.End()
		}
	})
	spanCase("span_4_attrs", 200000, sdktrace.AlwaysSample(), "", func(tr trace.Tracer, n int) {
		opt := trace.WithAttributes(attrs...)
		for i := 0; i < n; i++ {
			_, sp := tr.Start(ctx, "op", opt)
			sp.End()
		}
	})
	spanCase("span_non_recording", 1000000, sdktrace.NeverSample(), "", func(tr trace.Tracer, n int) {
		for i := 0; i < n; i++ {
			_, sp := tr.Start(ctx, "op")
			sp.End()
		}
	})
	spanCase("span_child", 200000, sdktrace.AlwaysSample(), "parent context passed explicitly",
		func(tr trace.Tracer, n int) {
			pctx, parent := tr.Start(ctx, "parent")
			for i := 0; i < n; i++ {
				_, sp := tr.Start(pctx, "child")
				sp.End()
			}
			parent.End()
		})

	// Go has no "current context" cell: the nearest equivalent of making a
	// span current is deriving a context that carries it.
	{
		tp, _ := newProvider(sdktrace.AlwaysSample())
		_, sp := tp.Tracer("bench").Start(ctx, "parent")
		var sink context.Context
		bench("context_attach_thread", 2000000, "Go: trace.ContextWithSpan", func(n int) {
			for i := 0; i < n; i++ {
				sink = trace.ContextWithSpan(ctx, sp)
			}
		}, nil)
		_ = sink
		sp.End()
		_ = tp.Shutdown(ctx)
	}

	// W3C Trace Context (traceparent, no tracestate): the fixed-slot
	// carrier, then Go's idiomatic MapCarrier.
	{
		tp, _ := newProvider(sdktrace.AlwaysSample())
		sctx, sp := tp.Tracer("bench").Start(ctx, "parent")
		prop := propagation.TraceContext{}
		var fc fixedCarrier
		bench("w3c_inject", 1000000, "fixed array of 8 header slots", func(n int) {
			for i := 0; i < n; i++ {
				fc.n = 0
				prop.Inject(sctx, &fc)
			}
		}, nil)
		carrier := propagation.MapCarrier{}
		bench("w3c_inject_idiomatic", 1000000, "propagation.MapCarrier", func(n int) {
			for i := 0; i < n; i++ {
				prop.Inject(sctx, carrier)
			}
		}, nil)
		var sink context.Context
		in := fixedCarrier{n: 1}
		in.names[0], in.values[0] = "traceparent", carrier["traceparent"]
		bench("w3c_extract", 1000000, "fixed array of 8 header slots", func(n int) {
			for i := 0; i < n; i++ {
				sink = prop.Extract(ctx, &in)
			}
		}, nil)
		if !trace.SpanContextFromContext(sink).IsValid() {
			fmt.Println("  note: w3c_extract produced an invalid span context")
		}
		inMap := propagation.MapCarrier{"traceparent": carrier["traceparent"]}
		bench("w3c_extract_idiomatic", 1000000, "propagation.MapCarrier", func(n int) {
			for i := 0; i < n; i++ {
				sink = prop.Extract(ctx, inMap)
			}
		}, nil)
		sp.End()
		_ = tp.Shutdown(ctx)
	}

	// Heap allocations per sampled span with 4 attributes (Go's runtime
	// counts every heap object): 2 warm-up windows of 20000 spans, then
	// `runs` windows of 20000, each with the flush that exports them; the
	// maximum window, as in C and Rust.
	{
		tp, _ := newProvider(sdktrace.AlwaysSample())
		tr := tp.Tracer("bench")
		opt := trace.WithAttributes(attrs...)
		loop := func(n int) {
			for i := 0; i < n; i++ {
				_, sp := tr.Start(ctx, "op", opt)
				sp.End()
			}
		}
		const n = 20000
		for i := 0; i < 2; i++ {
			loop(n)
			_ = tp.ForceFlush(ctx)
		}
		var vals []float64
		for r := 0; r < *runs; r++ {
			var m0, m1 runtime.MemStats
			runtime.ReadMemStats(&m0)
			loop(n)
			_ = tp.ForceFlush(ctx) // the export goroutine's work counts too
			runtime.ReadMemStats(&m1)
			vals = append(vals, float64(m1.Mallocs-m0.Mallocs)/n)
		}
		report("allocs_per_span", "allocs_per_op", "runtime.MemStats.Mallocs, 4 attrs, max window", vals)
		_ = tp.Shutdown(ctx)
	}

	// Per-span thread CPU of span_start_end with 2 producers against 1:
	// each producer goroutine is locked to its own OS thread and ends n
	// spans; 2n fits the queue, which is drained between runs; only
	// exported (accepted) spans are divided by.
	{
		tp, exp := newProvider(sdktrace.AlwaysSample())
		tr := tp.Tracer("bench")
		var dropped [3]uint64
		producers := func(threads, n int) float64 {
			var wg sync.WaitGroup
			cpu := make([]int64, threads)
			e0 := exp.exported.Load()
			for t := 0; t < threads; t++ {
				wg.Add(1)
				go func(t int) {
					defer wg.Done()
					runtime.LockOSThread()
					defer runtime.UnlockOSThread()
					c0 := cpuNs(clockThreadCPU)
					for i := 0; i < n; i++ {
						_, sp := tr.Start(ctx, "op")
						sp.End()
					}
					cpu[t] = cpuNs(clockThreadCPU) - c0
				}(t)
			}
			wg.Wait()
			_ = tp.ForceFlush(ctx)
			accepted := exp.exported.Load() - e0
			dropped[threads] += uint64(threads*n) - accepted
			if accepted == 0 {
				accepted = 1
			}
			var sum int64
			for _, c := range cpu {
				sum += c
			}
			return float64(sum) / float64(accepted)
		}
		n := int(100000 * *scale)
		producers(2, n/4)
		dropped[2] = 0
		var one, two, ratio []float64
		for r := 0; r < *runs; r++ {
			a := producers(1, n)
			b := producers(2, n)
			one, two, ratio = append(one, a), append(two, b), append(ratio, b/a)
		}
		report("threads_1_producer", "thread_cpu_ns_per_op", "span_start_end, per accepted span", one)
		metric("threads_1_producer", "dropped", float64(dropped[1]), "")
		report("threads_2_producers", "thread_cpu_ns_per_op", "span_start_end, per accepted span, both threads", two)
		metric("threads_2_producers", "dropped", float64(dropped[2]), "")
		report("threads_2_vs_1", "thread_cpu_ratio", "per-span thread CPU, 2 producers / 1", ratio)
		if dropped[1]+dropped[2] > 0 {
			fmt.Printf("  note: dropped: %d with 1 producer, %d with 2\n", dropped[1], dropped[2])
		}
		_ = tp.Shutdown(ctx)
	}

	if *outPath != "" {
		b, _ := json.MarshalIndent(map[string]any{
			"impl": "go", "version": "opentelemetry-go v1.47.0",
			"go": runtime.Version(), "cases": results}, "", "  ")
		if err := os.WriteFile(*outPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
