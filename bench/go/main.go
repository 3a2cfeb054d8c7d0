// Side-by-side benchmark of opentelemetry-go for cotel's `make bench`.
//
// Same cases, same configuration and same output format as
// bench/bench_spans.c: a batch span processor feeding an exporter that
// discards, medians of several runs in ns/op, one line per case, and a JSON
// file for scripts/bench.sh.
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
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

// discardExporter counts and drops every span, like the C bench's exporter.
type discardExporter struct{ exported atomic.Uint64 }

func (e *discardExporter) ExportSpans(_ context.Context, s []sdktrace.ReadOnlySpan) error {
	e.exported.Add(uint64(len(s)))
	return nil
}
func (e *discardExporter) Shutdown(context.Context) error { return nil }

type result struct {
	Name   string  `json:"name"`
	Median float64 `json:"median_ns"`
	Min    float64 `json:"min_ns"`
	Max    float64 `json:"max_ns"`
	Unit   string  `json:"unit"`
	Note   string  `json:"note,omitempty"`
}

var (
	runs    = flag.Int("runs", 7, "runs per case (median reported)")
	scale   = flag.Float64("scale", 1, "multiply iteration counts")
	outPath = flag.String("json", "", "write results as JSON here")
	results []result
)

const queueSize = 1 << 16 // same as the C and Rust drivers
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

func stats(vals []float64) (med, lo, hi float64) {
	sort.Float64s(vals)
	return vals[len(vals)/2], vals[0], vals[len(vals)-1]
}

func report(name, unit, note string, vals []float64) {
	med, lo, hi := stats(vals)
	fmt.Printf("%-28s %10.1f  (%.1f..%.1f) %s%s\n", name, med, lo, hi, unit,
		map[bool]string{true: "  " + note, false: ""}[note != ""])
	results = append(results, result{name, med, lo, hi, unit, note})
}

// bench times fn(n) `runs` times (after one warm-up) and reports ns/op.
// between (may be nil) runs after each run, outside the timing.
func bench(name string, n int, note string, fn func(n int), between func()) {
	n = int(float64(n) * *scale)
	if n < 1 {
		n = 1
	}
	fn(n / 4) // warm-up: pools, caches, the exporter goroutine
	if between != nil {
		between()
	}
	vals := make([]float64, 0, *runs)
	for r := 0; r < *runs; r++ {
		runtime.GC()
		t0 := time.Now()
		fn(n)
		vals = append(vals, float64(time.Since(t0).Nanoseconds())/float64(n))
		if between != nil {
			between()
		}
	}
	report(name, "ns/op", note, vals)
}

// spanCase runs a start+end loop on a fresh provider and checks for drops.
func spanCase(name string, n int, s sdktrace.Sampler, body func(tr trace.Tracer, n int)) {
	tp, exp := newProvider(s)
	tr := tp.Tracer("bench")
	var total uint64
	bench(name, n, "", func(n int) {
		body(tr, n)
		total += uint64(n)
	}, func() {
		// Untimed: drain so every run starts with an empty queue.
		_ = tp.ForceFlush(context.Background())
	})
	_ = tp.Shutdown(context.Background())
	if s == nil || s.Description() != "AlwaysOffSampler" {
		if got := exp.exported.Load(); got < total {
			fmt.Printf("  note: %s dropped %d of %d spans (queue full)\n", name, total-got, total)
		}
	}
}

var attrs = []attribute.KeyValue{
	attribute.String("http.request.method", "GET"),
	attribute.String("url.path", "/api/v1/users/42"),
	attribute.Int64("http.response.status_code", 200),
	attribute.Float64("server.load", 0.75),
}

func main() {
	flag.Parse()
	ctx := context.Background()
	runtime.GOMAXPROCS(runtime.NumCPU())

	spanCase("span_start_end", 200000, sdktrace.AlwaysSample(), func(tr trace.Tracer, n int) {
		for i := 0; i < n; i++ {
			_, sp := tr.Start(ctx, "op")
			sp.End()
		}
	})
	spanCase("span_4_attrs", 200000, sdktrace.AlwaysSample(), func(tr trace.Tracer, n int) {
		opt := trace.WithAttributes(attrs...)
		for i := 0; i < n; i++ {
			_, sp := tr.Start(ctx, "op", opt)
			sp.End()
		}
	})
	spanCase("span_non_recording", 1000000, sdktrace.NeverSample(), func(tr trace.Tracer, n int) {
		for i := 0; i < n; i++ {
			_, sp := tr.Start(ctx, "op")
			sp.End()
		}
	})
	spanCase("span_child", 200000, sdktrace.AlwaysSample(), func(tr trace.Tracer, n int) {
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

	// W3C Trace Context with a map carrier (traceparent, no tracestate).
	{
		tp, _ := newProvider(sdktrace.AlwaysSample())
		sctx, sp := tp.Tracer("bench").Start(ctx, "parent")
		prop := propagation.TraceContext{}
		carrier := propagation.MapCarrier{}
		bench("w3c_inject", 1000000, "", func(n int) {
			for i := 0; i < n; i++ {
				prop.Inject(sctx, carrier)
			}
		}, nil)
		in := propagation.MapCarrier{"traceparent": carrier["traceparent"]}
		var sink context.Context
		bench("w3c_extract", 1000000, "", func(n int) {
			for i := 0; i < n; i++ {
				sink = prop.Extract(ctx, in)
			}
		}, nil)
		if !trace.SpanContextFromContext(sink).IsValid() {
			fmt.Println("  note: w3c_extract produced an invalid span context")
		}
		sp.End()
		_ = tp.Shutdown(ctx)
	}

	// Heap allocations per sampled span with 4 attributes (Go's runtime
	// counts every heap object).
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
		loop(10000)
		_ = tp.ForceFlush(ctx)
		const n = 20000
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		loop(n)
		_ = tp.ForceFlush(ctx) // the export goroutine's work counts too
		runtime.ReadMemStats(&m1)
		v := float64(m1.Mallocs-m0.Mallocs) / n
		report("allocs_per_span", "allocs/op", "runtime.MemStats.Mallocs, 4 attrs",
			[]float64{v})
		_ = tp.Shutdown(ctx)
	}

	// Throughput of span_start_end on 2 goroutines vs 1.
	{
		tp, _ := newProvider(sdktrace.AlwaysSample())
		tr := tp.Tracer("bench")
		rate := func(threads, n int) float64 {
			var wg sync.WaitGroup
			t0 := time.Now()
			for t := 0; t < threads; t++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < n; i++ {
						_, sp := tr.Start(ctx, "op")
						sp.End()
					}
				}()
			}
			wg.Wait()
			r := float64(threads*n) / time.Since(t0).Seconds()
			_ = tp.ForceFlush(ctx)
			return r
		}
		n := int(200000 * *scale)
		rate(1, n/4)
		var vals []float64
		for r := 0; r < *runs; r++ {
			vals = append(vals, rate(2, n)/rate(1, n))
		}
		report("threads_2_vs_1", "x", "throughput ratio, span_start_end", vals)
		_ = tp.Shutdown(ctx)
	}

	if *outPath != "" {
		b, _ := json.MarshalIndent(map[string]any{
			"impl": "opentelemetry-go", "version": "v1.47.0",
			"go": runtime.Version(), "cases": results}, "", "  ")
		if err := os.WriteFile(*outPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
	}
}
