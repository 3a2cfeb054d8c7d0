//! Side-by-side benchmark of opentelemetry-rust for cotel's `make bench`.
//!
//! Same cases, configuration and output format as bench/bench_spans.c: a
//! batch span processor feeding an exporter that discards, medians of several
//! runs in ns/op, one line per case, and a JSON file for scripts/bench.sh.

use std::alloc::{GlobalAlloc, Layout, System};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Instant;

use opentelemetry::propagation::TextMapPropagator;
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

const QUEUE_SIZE: usize = 1 << 16; // same as the C and Go drivers
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

impl Harness {
    fn report(&mut self, name: &str, unit: &str, note: &str, mut v: Vec<f64>) {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        let (med, lo, hi) = (v[v.len() / 2], v[0], v[v.len() - 1]);
        let sep = if note.is_empty() { "" } else { "  " };
        println!("{name:<28} {med:10.1}  ({lo:.1}..{hi:.1}) {unit}{sep}{note}");
        self.lines.push(format!(
            "    {{\"name\": \"{name}\", \"median_ns\": {med:.2}, \"min_ns\": {lo:.2}, \
             \"max_ns\": {hi:.2}, \"unit\": \"{unit}\", \"note\": \"{note}\"}}"
        ));
    }

    /// Times f(n) `runs` times after a warm-up; reports ns/op. `between`
    /// runs after each run, outside the timing.
    fn bench(
        &mut self,
        name: &str,
        n: usize,
        note: &str,
        mut f: impl FnMut(usize),
        between: impl Fn(),
    ) {
        let n = ((n as f64) * self.scale).max(1.0) as usize;
        f(n / 4);
        between();
        let mut v = Vec::with_capacity(self.runs);
        for _ in 0..self.runs {
            let t0 = Instant::now();
            f(n);
            v.push(t0.elapsed().as_nanos() as f64 / n as f64);
            between();
        }
        self.report(name, "ns/op", note, v);
    }

    /// A start+end loop on a fresh provider, checking for dropped spans.
    fn span_case(
        &mut self,
        name: &str,
        n: usize,
        sampler: Sampler,
        sampled: bool,
        body: impl Fn(&opentelemetry_sdk::trace::SdkTracer, usize),
    ) {
        let (tp, exported) = provider(sampler);
        let tr = tp.tracer("bench");
        let mut total = 0u64;
        self.bench(
            name,
            n,
            "",
            |n| {
                body(&tr, n);
                total += n as u64;
            },
            || {
                // Untimed: drain so every run starts with an empty queue.
                let _ = tp.force_flush();
            },
        );
        let _ = tp.shutdown();
        let got = exported.load(Ordering::Relaxed);
        if sampled && got < total {
            println!(
                "  note: {name} dropped {} of {total} spans (queue full)",
                total - got
            );
        }
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

    h.span_case(
        "span_start_end",
        200_000,
        Sampler::AlwaysOn,
        true,
        |tr, n| {
            for _ in 0..n {
                let mut s = tr.start("op");
                s.end();
            }
        },
    );
    h.span_case("span_4_attrs", 200_000, Sampler::AlwaysOn, true, |tr, n| {
        for _ in 0..n {
            let mut s = tr.span_builder("op").with_attributes(attrs()).start(tr);
            s.end();
        }
    });
    h.span_case(
        "span_non_recording",
        1_000_000,
        Sampler::AlwaysOff,
        false,
        |tr, n| {
            for _ in 0..n {
                let mut s = tr.start("op");
                s.end();
            }
        },
    );
    h.span_case("span_child", 200_000, Sampler::AlwaysOn, true, |tr, n| {
        let parent = tr.start("parent");
        let _g = Context::current_with_span(parent).attach();
        for _ in 0..n {
            let mut s = tr.start("child");
            s.end();
        }
    });

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
            || (),
        );
        cx.span().end();
        let _ = tp.shutdown();
    }

    // W3C Trace Context with a HashMap carrier (traceparent, no tracestate).
    {
        let (tp, _) = provider(Sampler::AlwaysOn);
        let cx = Context::current_with_span(tp.tracer("bench").start("parent"));
        let prop = TraceContextPropagator::new();
        let mut carrier: HashMap<String, String> = HashMap::new();
        h.bench(
            "w3c_inject",
            1_000_000,
            "",
            |n| {
                for _ in 0..n {
                    prop.inject_context(&cx, &mut carrier);
                }
            },
            || (),
        );
        let mut input: HashMap<String, String> = HashMap::new();
        input.insert("traceparent".into(), carrier["traceparent"].clone());
        let mut ok = true;
        h.bench(
            "w3c_extract",
            1_000_000,
            "",
            |n| {
                for _ in 0..n {
                    let c = prop.extract(&input);
                    ok &= c.span().span_context().is_valid();
                }
            },
            || (),
        );
        if !ok {
            println!("  note: w3c_extract produced an invalid span context");
        }
        cx.span().end();
        let _ = tp.shutdown();
    }

    // Heap allocations per sampled span with 4 attributes (global allocator
    // counter: every allocation of the process, export thread included).
    {
        let (tp, _) = provider(Sampler::AlwaysOn);
        let tr = tp.tracer("bench");
        let run = |n: usize| {
            for _ in 0..n {
                let mut s = tr.span_builder("op").with_attributes(attrs()).start(&tr);
                s.end();
            }
        };
        run(10_000);
        let _ = tp.force_flush();
        let n = 20_000;
        let a0 = ALLOCS.load(Ordering::Relaxed);
        run(n);
        let _ = tp.force_flush();
        let a1 = ALLOCS.load(Ordering::Relaxed);
        h.report(
            "allocs_per_span",
            "allocs/op",
            "global allocator, 4 attrs",
            vec![(a1 - a0) as f64 / n as f64],
        );
        let _ = tp.shutdown();
    }

    // Throughput of span_start_end on 2 threads vs 1.
    {
        let (tp, _) = provider(Sampler::AlwaysOn);
        let tr = tp.tracer("bench");
        let rate = |threads: usize, n: usize| -> f64 {
            let t0 = Instant::now();
            std::thread::scope(|s| {
                for _ in 0..threads {
                    let tr = tr.clone();
                    s.spawn(move || {
                        for _ in 0..n {
                            let mut sp = tr.start("op");
                            sp.end();
                        }
                    });
                }
            });
            let r = (threads * n) as f64 / t0.elapsed().as_secs_f64();
            let _ = tp.force_flush();
            r
        };
        let n = (200_000.0 * h.scale) as usize;
        rate(1, n / 4);
        let v: Vec<f64> = (0..h.runs).map(|_| rate(2, n) / rate(1, n)).collect();
        h.report("threads_2_vs_1", "x", "throughput ratio, span_start_end", v);
        let _ = tp.shutdown();
    }

    if let Some(p) = json_path {
        let body = format!(
            "{{\n  \"impl\": \"opentelemetry-rust\", \"version\": \"0.33\",\n  \"cases\": [\n{}\n  ]\n}}\n",
            h.lines.join(",\n")
        );
        std::fs::write(&p, body).expect("write json");
    }
}
