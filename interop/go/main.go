// go-hop: the Go peer of cotel-hop (examples/cotel-hop/main.c) for the
// interop chains (issue 5, DESIGN.md §8). It speaks the same protocol:
//
//	GET /hop?next=<url>,<url>,...&fanout=N&sleep_ms=M
//
// makes a SERVER span (otelhttp.NewHandler), waits sleep_ms, calls the
// first `next` URL with the rest as its own `next` from a CLIENT span
// (otelhttp.NewTransport), N times concurrently when fanout is given, and
// answers
//
//	{"service","trace_id","span_id","parent_id","baggage",
//	 "incoming_traceparent","client_span_ids","downstream"}
//
// Spans go to the collector through the otlptracehttp exporter, which reads
// OTEL_EXPORTER_OTLP_ENDPOINT; the batch processor reads OTEL_BSP_*.
//
// -no-trace: the untraced baseline of bench/ab.sh, like cotel-hop's
// --no-trace: the same mux and handler without otelhttp (no span, no
// extract).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

const (
	maxFanout  = 4096
	maxSleepMs = 60000
)

var (
	serviceName string
	client      *http.Client
	propagator  propagation.TextMapPropagator
)

// reply is the JSON every hop service answers.
type reply struct {
	Service             string          `json:"service"`
	TraceID             string          `json:"trace_id"`
	SpanID              string          `json:"span_id"`
	ParentID            *string         `json:"parent_id"`
	Baggage             *string         `json:"baggage"`
	IncomingTraceparent *string         `json:"incoming_traceparent"`
	ClientSpanIDs       []string        `json:"client_span_ids"`
	Downstream          json.RawMessage `json:"downstream"`
}

// slotKey carries, through otelhttp's transport, where the base transport
// records the CLIENT span id that otelhttp started for the call.
type slotKey struct{}

// recordingTransport runs inside otelhttp.Transport: the request's context
// holds the CLIENT span otelhttp started, and its headers the injected
// traceparent.
type recordingTransport struct{ base http.RoundTripper }

func (t recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if slot, ok := r.Context().Value(slotKey{}).(*string); ok {
		*slot = trace.SpanContextFromContext(r.Context()).SpanID().String()
	}
	return t.base.RoundTrip(r)
}

func optional(h http.Header, name string) *string {
	if v, ok := h[http.CanonicalHeaderKey(name)]; ok {
		s := strings.Join(v, ",")
		return &s
	}
	return nil
}

// nextURL: "u1,u2,..." -> u1 with next=u2,... appended (percent-encoded).
func nextURL(next string) (string, error) {
	if next == "" {
		return "", nil
	}
	first, rest, _ := strings.Cut(next, ",")
	if first == "" {
		return "", errors.New("empty url in next")
	}
	if rest == "" {
		return first, nil
	}
	sep := "?"
	if strings.Contains(first, "?") {
		sep = "&"
	}
	return first + sep + "next=" + url.QueryEscape(rest), nil
}

func callOnce(ctx context.Context, u string, slot *string) (json.RawMessage, error) {
	ctx = context.WithValue(ctx, slotKey{}, slot)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d", resp.StatusCode)
	}
	if !json.Valid(body) {
		return nil, errors.New("downstream answered invalid JSON")
	}
	return json.RawMessage(body), nil
}

func parseUint(s string, max uint64) (uint64, error) {
	v, err := strconv.ParseUint(s, 10, 64)
	if err != nil || v > max {
		return 0, errors.New("bad number")
	}
	return v, nil
}

func handleHop(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target, err := nextURL(q.Get("next"))
	legs, fanout := uint64(1), false
	if err == nil && q.Has("fanout") {
		fanout = true
		legs, err = parseUint(q.Get("fanout"), maxFanout)
		if err == nil && legs == 0 {
			err = errors.New("fanout 0")
		}
	}
	var sleepMs uint64
	if err == nil && q.Has("sleep_ms") {
		sleepMs, err = parseUint(q.Get("sleep_ms"), maxSleepMs)
	}
	if err != nil {
		http.Error(w, "bad query: next=<url>,...&fanout=N&sleep_ms=M", http.StatusBadRequest)
		return
	}

	ctx := r.Context()
	sc := trace.SpanContextFromContext(ctx)
	out := reply{
		Service:             serviceName,
		TraceID:             sc.TraceID().String(),
		SpanID:              sc.SpanID().String(),
		Baggage:             optional(r.Header, "baggage"),
		IncomingTraceparent: optional(r.Header, "traceparent"),
		ClientSpanIDs:       []string{},
	}
	// The parent as the propagator reads it: otelhttp did the same
	// extraction to start the SERVER span.
	if psc := trace.SpanContextFromContext(propagator.Extract(context.Background(),
		propagation.HeaderCarrier(r.Header))); psc.IsValid() {
		p := psc.SpanID().String()
		out.ParentID = &p
	}
	if sleepMs > 0 {
		time.Sleep(time.Duration(sleepMs) * time.Millisecond)
	}

	downs := make([]json.RawMessage, legs)
	if target != "" {
		ids := make([]string, legs)
		var wg sync.WaitGroup
		for i := range legs {
			wg.Add(1)
			go func(i uint64) {
				defer wg.Done()
				d, err := callOnce(ctx, target, &ids[i])
				if err != nil {
					log.Printf("go-hop: %s: %v", target, err)
					trace.SpanFromContext(ctx).AddEvent("downstream failed",
						trace.WithAttributes(attribute.String("error", err.Error())))
					return
				}
				downs[i] = d
			}(i)
		}
		wg.Wait()
		out.ClientSpanIDs = ids
	}
	null := json.RawMessage("null")
	for i := range downs {
		if downs[i] == nil {
			downs[i] = null
		}
	}
	if fanout {
		out.Downstream, _ = json.Marshal(downs)
	} else {
		out.Downstream = downs[0]
	}
	body, err := json.Marshal(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Write(append(body, '\n'))
}

func main() {
	port := flag.Int("port", 0, "port on 127.0.0.1 (0: ephemeral)")
	flag.StringVar(&serviceName, "service", "go-hop", "service.name")
	noTrace := flag.Bool("no-trace", false, "serve without otelhttp (bench baseline)")
	flag.Parse()
	log.SetFlags(0)

	ctx := context.Background()
	exp, err := otlptracehttp.New(ctx)
	if err != nil {
		log.Fatalf("otlp exporter: %v", err)
	}
	res, err := resource.Merge(resource.Default(), resource.NewSchemaless(
		attribute.String("service.name", serviceName)))
	if err != nil {
		log.Fatalf("resource: %v", err)
	}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(exp),
		sdktrace.WithResource(res),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())),
	)
	otel.SetTracerProvider(tp)
	// Go's global propagator is a no-op until set.
	propagator = propagation.NewCompositeTextMapPropagator(
		propagation.TraceContext{}, propagation.Baggage{})
	otel.SetTextMapPropagator(propagator)

	base := http.DefaultTransport.(*http.Transport).Clone()
	base.MaxIdleConns = 2048
	base.MaxIdleConnsPerHost = 2048
	client = &http.Client{
		Transport: otelhttp.NewTransport(recordingTransport{base}),
		Timeout:   60 * time.Second,
	}

	mux := http.NewServeMux()
	mux.HandleFunc("/hop", handleHop)
	handler := otelhttp.NewHandler(mux, "GET /hop",
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string {
			return r.Method + " " + r.URL.Path
		}))
	if *noTrace {
		handler = mux
	}

	ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", *port))
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	fmt.Printf("listening on %s\n", ln.Addr().String())
	os.Stdout.Sync()

	srv := &http.Server{Handler: handler}
	go func() {
		sig := make(chan os.Signal, 1)
		signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
		<-sig
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		log.Fatalf("serve: %v", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tp.Shutdown(sctx); err != nil {
		log.Printf("tracer provider shutdown: %v", err)
	}
}
