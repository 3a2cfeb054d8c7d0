//! Side-by-side benchmark of opentelemetry-rust for cotel's `make bench`.
//!
//! Same cases, span counts, configuration and metrics as bench/bench_spans.c
//! (docs/bench.md says how each case is made equal): a batch span processor
//! (queue 262144, batch 512) feeding an exporter that discards; medians of
//! several runs of wall time and thread CPU time per op; a JSON file of
//! {"case", "impl", "metric", "value"}. scripts/bench.sh runs this once per
//! round, interleaved with C and Go.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

#[repr(C)]
struct Timespec {
    sec: i64,
    nsec: i64,
}
extern "C" {
    fn clock_gettime(clk: i32, ts: *mut Timespec) -> i32;
}
const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
const CLOCK_THREAD_CPUTIME_ID: i32 = 3;

fn cpu_ns(clk: i32) -> i64 {
    let mut ts = Timespec { sec: 0, nsec: 0 };
    // SAFETY: clock_gettime writes one timespec into ts.
    unsafe { clock_gettime(clk, &mut ts) };
    ts.sec * 1_000_000_000 + ts.nsec
}

use opentelemetry::propagation::{Extractor, Injector, TextMapPropagator};
use opentelemetry::trace::{Span, TraceContextExt, Tracer, TracerProvider as _};
use opentelemetry::{Context, KeyValue};
use opentelemetry_sdk::error::OTelSdkResult;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider, SpanData, SpanExporter,
};

/// Counts every heap allocation of the process (for allocs_per_span).
struct Counting;
static ALLOCS: AtomicU64 = AtomicU64::new(0);
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.alloc(l)
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        System.dealloc(p, l)
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, n: usize) -> *mut u8 {
        ALLOCS.fetch_add(1, Ordering::Relaxed);
        System.realloc(p, l, n)
    }
}
#[global_allocator]
static GLOBAL: Counting = Counting;

/// Counts and drops every span, like the C bench's exporter.
#[derive(Debug, Clone)]
struct Discard(Arc<AtomicU64>);
impl SpanExporter for Discard {
    async fn export(&self, batch: Vec<SpanData>) -> OTelSdkResult {
        self.0.fetch_add(batch.len() as u64, Ordering::Relaxed);
        Ok(())
    }
}

const QUEUE_SIZE: usize = 1 << 18; // same as the C and Go drivers
const BATCH_SIZE: usize = 512;

fn provider(sampler: Sampler) -> (SdkTracerProvider, Arc<AtomicU64>) {
    let count = Arc::new(AtomicU64::new(0));
    let cfg = BatchConfigBuilder::default()
        .with_max_queue_size(QUEUE_SIZE)
        .with_max_export_batch_size(BATCH_SIZE)
        .with_scheduled_delay(std::time::Duration::from_secs(5))
        .build();
    let bsp = BatchSpanProcessor::builder(Discard(count.clone()))
        .with_batch_config(cfg)
        .build();
    let tp = SdkTracerProvider::builder()
        .with_sampler(sampler)
        .with_span_processor(bsp)
        .build();
    (tp, count)
}

struct Harness {
    runs: usize,
    scale: f64,
    lines: Vec<String>,
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    v[v.len() / 2]
}

impl Harness {
    fn metric(&mut self, case: &str, metric: &str, value: f64, note: &str) {
        self.lines.push(format!(
            "    {{\"case\": \"{case}\", \"impl\": \"rust\", \"metric\": \"{metric}\", \
             \"value\": {value:.4}, \"note\": \"{note}\"}}"
        ));
    }

    /// Records the median of v (the maximum for allocs_per_op).
    fn report(&mut self, name: &str, metric: &str, note: &str, mut v: Vec<f64>) {
        let mut x = median(&mut v);
        if metric == "allocs_per_op" {
            x = v[v.len() - 1];
        }
        println!("{name:<28} {x:10.3} {metric}  {note}");
        self.metric(name, metric, x, note);
    }

    /// Times f(n) `runs` times after a warm-up: wall and thread CPU per op;
    /// with `drain` (span cases), also the CPU of the other threads (the
    /// export thread) from the run's start to the end of the drain, per op.
    fn bench(
        &mut self,
        name: &str,
        n: usize,
        note: &str,
        mut f: impl FnMut(usize),
        drain: Option<&dyn Fn()>,
    ) {
        let n = ((n as f64) * self.scale).max(4.0) as usize;
        f(n / 4);
        if let Some(d) = drain {
            d();
        }
        let (mut wall, mut cpu, mut other) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..self.runs {
            let p0 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
            let c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
            let t0 = Instant::now();
            f(n);
            let el = t0.elapsed().as_nanos() as f64;
            let c1 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
            if let Some(d) = drain {
                d();
            }
            let c2 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
            let p2 = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
            wall.push(el / n as f64);
            cpu.push((c1 - c0) as f64 / n as f64);
            other.push((((p2 - p0) - (c2 - c0)).max(0)) as f64 / n as f64);
        }
        let (w, c, o) = (median(&mut wall), median(&mut cpu), median(&mut other));
        print!("{name:<28} {w:10.1} ns/op  thread cpu {c:.1}");
        self.metric(name, "ns_per_op", w, note);
        self.metric(name, "thread_cpu_ns_per_op", c, "");
        if drain.is_some() {
            print!("  export cpu {o:.1}");
            self.metric(name, "export_cpu_ns_per_op", o, "");
        }
        println!("  {note}");
    }

    /// A start+end loop on a fresh provider, counting dropped spans.
    fn span_case(
        &mut self,
        name: &str,
        n: usize,
        sampler: Sampler,
        sampled: bool,
        note: &str,
        body: impl Fn(&opentelemetry_sdk::trace::SdkTracer, usize),
    ) {
        let (tp, exported) = provider(sampler);
        let tr = tp.tracer("bench");
        let mut total = 0u64;
        let drain = || {
            // Untimed: drain so every run starts with an empty queue.
            let _ = tp.force_flush();
        };
        self.bench(
            name,
            n,
            note,
            |n| {
                body(&tr, n);
                total += n as u64;
            },
            Some(&drain),
        );
        let _ = tp.shutdown();
        let got = exported.load(Ordering::Relaxed);
        if sampled {
            let dropped = total.saturating_sub(got);
            if dropped > 0 {
                println!("  note: {name} dropped {dropped} of {total} spans (queue full)");
            }
            self.metric(name, "dropped", dropped as f64, "");
        }
    }
}

/// The carrier shape of the C bench: a preallocated fixed array of 8 header
/// slots (name up to 64 bytes, value up to 256), reset per request. The
/// value String the propagator hands over is copied into its slot.
struct FixedCarrier {
    names: [[u8; 64]; 8],
    name_len: [usize; 8],
    values: [[u8; 256]; 8],
    value_len: [usize; 8],
    n: usize,
}

impl FixedCarrier {
    fn new() -> Self {
        FixedCarrier {
            names: [[0; 64]; 8],
            name_len: [0; 8],
            values: [[0; 256]; 8],
            value_len: [0; 8],
            n: 0,
        }
    }
    fn name(&self, i: usize) -> &str {
        std::str::from_utf8(&self.names[i][..self.name_len[i]]).unwrap_or("")
    }
}

impl Injector for FixedCarrier {
    fn set(&mut self, key: &str, value: String) {
        let i = (0..self.n).find(|&i| self.name(i) == key).unwrap_or(self.n);
        if i >= 8 || key.len() > 64 || value.len() > 256 {
            return;
        }
        self.names[i][..key.len()].copy_from_slice(key.as_bytes());
        self.name_len[i] = key.len();
        self.values[i][..value.len()].copy_from_slice(value.as_bytes());
        self.value_len[i] = value.len();
        if i == self.n {
            self.n += 1;
        }
    }
}

impl Extractor for FixedCarrier {
    fn get(&self, key: &str) -> Option<&str> {
        (0..self.n)
            .find(|&i| self.name(i) == key)
            .and_then(|i| std::str::from_utf8(&self.values[i][..self.value_len[i]]).ok())
    }
    fn keys(&self) -> Vec<&str> {
        (0..self.n).map(|i| self.name(i)).collect()
    }
}

fn attrs() -> Vec<KeyValue> {
    vec![
        KeyValue::new("http.request.method", "GET"),
        KeyValue::new("url.path", "/api/v1/users/42"),
        KeyValue::new("http.response.status_code", 200i64),
        KeyValue::new("server.load", 0.75f64),
    ]
}

fn main() {
    let mut json_path = None;
    let mut h = Harness {
        runs: 7,
        scale: 1.0,
        lines: Vec::new(),
    };
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        match args[i].as_str() {
            "--json" => {
                json_path = args.get(i + 1).cloned();
                i += 1;
            }
            "--runs" => {
                h.runs = args[i + 1].parse().unwrap();
                i += 1;
            }
            "--scale" => {
                h.scale = args[i + 1].parse().unwrap();
                i += 1;
            }
            a => {
                eprintln!("unknown argument {a}");
                std::process::exit(2);
            }
        }
        i += 1;
    }

    // The span counts are the same in bench_spans.c and bench/go.
    h.span_case(
        "span_start_end",
        200_000,
        Sampler::AlwaysOn,
        true,
        "",
        |tr, n| {
            for _ in 0..n {
                let mut s = tr.start("op");
                s.end();
            }
        },
    );
    h.span_case(
        "span_4_attrs",
        200_000,
        Sampler::AlwaysOn,
        true,
        "",
        |tr, n| {
            for _ in 0..n {
                let mut s = tr.span_builder("op").with_attributes(attrs()).start(tr);
                s.end();
            }
        },
    );
    h.span_case(
        "span_non_recording",
        1_000_000,
        Sampler::AlwaysOff,
        false,
        "",
        |tr, n| {
            for _ in 0..n {
                let mut s = tr.start("op");
                s.end();
            }
        },
    );
    h.span_case(
        "span_child",
        200_000,
        Sampler::AlwaysOn,
        true,
        "parent context passed explicitly",
        |tr, n| {
            let pcx = Context::new().with_span(tr.start("parent"));
            for _ in 0..n {
                let mut s = tr.start_with_context("child", &pcx);
                s.end();
            }
        },
    );
    h.span_case(
        "span_child_current",
        200_000,
        Sampler::AlwaysOn,
        true,
        "parent found in the current context",
        |tr, n| {
            let parent = tr.start("parent");
            let _g = Context::current_with_span(parent).attach();
            for _ in 0..n {
                let mut s = tr.start("child");
                s.end();
            }
        },
    );

    // Make a context current and restore it: Context::attach + guard drop.
    {
        let (tp, _) = provider(Sampler::AlwaysOn);
        let cx = Context::current_with_span(tp.tracer("bench").start("parent"));
        h.bench(
            "context_attach_thread",
            2_000_000,
            "Rust: Context::attach + drop",
            |n| {
                for _ in 0..n {
                    let g = cx.clone().attach();
                    drop(g);
                }
            },
            None,
        );
        cx.span().end();
        let _ = tp.shutdown();
    }

    // W3C Trace Context (traceparent, no tracestate): the fixed-slot
    // carrier, then Rust's idiomatic HashMap<String, String>.
    {
        let (tp, _) = provider(Sampler::AlwaysOn);
        let cx = Context::current_with_span(tp.tracer("bench").start("parent"));
        let prop = TraceContextPropagator::new();
        let mut fc = FixedCarrier::new();
        h.bench(
            "w3c_inject",
            1_000_000,
            "fixed array of 8 header slots",
            |n| {
                for _ in 0..n {
                    fc.n = 0;
                    prop.inject_context(&cx, &mut fc);
                }
            },
            None,
        );
        let mut carrier: HashMap<String, String> = HashMap::new();
        h.bench(
            "w3c_inject_idiomatic",
            1_000_000,
            "HashMap<String, String>",
            |n| {
                for _ in 0..n {
                    prop.inject_context(&cx, &mut carrier);
                }
            },
            None,
        );
        let mut ok = true;
        h.bench(
            "w3c_extract",
            1_000_000,
            "fixed array of 8 header slots",
            |n| {
                for _ in 0..n {
                    let c = prop.extract(&fc);
                    ok &= c.span().span_context().is_valid();
                }
            },
            None,
        );
        let mut input: HashMap<String, String> = HashMap::new();
        input.insert("traceparent".into(), carrier["traceparent"].clone());
        h.bench(
            "w3c_extract_idiomatic",
            1_000_000,
            "HashMap<String, String>",
            |n| {
                for _ in 0..n {
                    let c = prop.extract(&input);
                    ok &= c.span().span_context().is_valid();
                }
            },
            None,
        );
        if !ok {
            println!("  note: w3c_extract produced an invalid span context");
        }
        cx.span().end();
        let _ = tp.shutdown();
    }

    // Heap allocations per sampled span with 4 attributes (global allocator
    // counter: every allocation of the process, export thread included): 2
    // warm-up windows of 20000 spans, then `runs` windows of 20000, each
    // with the flush that exports them; the maximum window, as in C and Go.
    {
        let (tp, _) = provider(Sampler::AlwaysOn);
        let tr = tp.tracer("bench");
        let run = |n: usize| {
            for _ in 0..n {
                let mut s = tr.span_builder("op").with_attributes(attrs()).start(&tr);
                s.end();
            }
        };
        let n = 20_000;
        for _ in 0..2 {
            run(n);
            let _ = tp.force_flush();
        }
        let mut v = Vec::new();
        for _ in 0..h.runs {
            let a0 = ALLOCS.load(Ordering::Relaxed);
            run(n);
            let _ = tp.force_flush();
            let a1 = ALLOCS.load(Ordering::Relaxed);
            v.push((a1 - a0) as f64 / n as f64);
        }
        h.report(
            "allocs_per_span",
            "allocs_per_op",
            "global allocator, 4 attrs, max window",
            v,
        );
        let _ = tp.shutdown();
    }

    // Per-span thread CPU of span_start_end with 2 producers against 1: each
    // producer thread ends n spans; 2n fits the queue, which is drained
    // between runs; only exported (accepted) spans are divided by.
    {
        let (tp, exported) = provider(Sampler::AlwaysOn);
        let tr = tp.tracer("bench");
        let mut dropped = [0u64; 3];
        // (thread CPU ns per accepted span, spans dropped)
        let producers = |threads: usize, n: usize| -> (f64, u64) {
            let e0 = exported.load(Ordering::Relaxed);
            let cpu: i64 = std::thread::scope(|s| {
                let hs: Vec<_> = (0..threads)
                    .map(|_| {
                        let tr = tr.clone();
                        s.spawn(move || {
                            let c0 = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
                            for _ in 0..n {
                                let mut sp = tr.start("op");
                                sp.end();
                            }
                            cpu_ns(CLOCK_THREAD_CPUTIME_ID) - c0
                        })
                    })
                    .collect();
                hs.into_iter().map(|h| h.join().unwrap()).sum()
            });
            let _ = tp.force_flush();
            let accepted = exported.load(Ordering::Relaxed) - e0;
            let drop = (threads * n) as u64 - accepted.min((threads * n) as u64);
            (cpu as f64 / accepted.max(1) as f64, drop)
        };
        let n = (100_000.0 * h.scale) as usize;
        producers(2, n / 4);
        let (mut one, mut two, mut ratio) = (Vec::new(), Vec::new(), Vec::new());
        for _ in 0..h.runs {
            let (a, d1) = producers(1, n);
            let (b, d2) = producers(2, n);
            dropped[1] += d1;
            dropped[2] += d2;
            one.push(a);
            two.push(b);
            ratio.push(b / a);
        }
        h.report(
            "threads_1_producer",
            "thread_cpu_ns_per_op",
            "span_start_end, per accepted span",
            one,
        );
        h.metric("threads_1_producer", "dropped", dropped[1] as f64, "");
        h.report(
            "threads_2_producers",
            "thread_cpu_ns_per_op",
            "span_start_end, per accepted span, both threads",
            two,
        );
        h.metric("threads_2_producers", "dropped", dropped[2] as f64, "");
        h.report(
            "threads_2_vs_1",
            "thread_cpu_ratio",
            "per-span thread CPU, 2 producers / 1",
            ratio,
        );
        if dropped[1] + dropped[2] > 0 {
            println!("  note: dropped: {} with 1 producer, {} with 2", dropped[1], dropped[2]);
        }
        let _ = tp.shutdown();
    }

    if let Some(p) = json_path {
        let body = format!(
            "{{\n  \"impl\": \"rust\", \"version\": \"opentelemetry-rust 0.33\",\n  \"cases\": [\n{}\n  ]\n}}\n",
            h.lines.join(",\n")
        );
        std::fs::write(&p, body).expect("write json");
    }
}
