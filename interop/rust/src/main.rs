//! rust-hop: the Rust peer of cotel-hop (examples/cotel-hop/main.c) for the
//! interop chains (issue 5, DESIGN.md §8). Same protocol:
//!
//!   GET /hop?next=<url>,<url>,...&fanout=N&sleep_ms=M
//!
//! makes a SERVER span, waits sleep_ms, calls the first `next` URL with the
//! rest as its own `next` from a CLIENT span (N times concurrently with
//! fanout), and answers
//!
//!   {"service","trace_id","span_id","parent_id","baggage",
//!    "incoming_traceparent","client_span_ids","downstream"}
//!
//! Spans are made the way Rust services usually make them: `tracing` spans
//! turned into OpenTelemetry spans by tracing-opentelemetry, exported by
//! opentelemetry-otlp over OTLP/HTTP protobuf (OTEL_EXPORTER_OTLP_ENDPOINT;
//! the batch processor reads OTEL_BSP_*). Context and baggage cross HTTP
//! with the W3C TraceContext and Baggage propagators.

use std::time::Duration;

use axum::extract::RawQuery;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use opentelemetry::propagation::TextMapCompositePropagator;
use opentelemetry::trace::{TraceContextExt, TracerProvider as _};
use opentelemetry::{global, Context};
use opentelemetry_http::{HeaderExtractor, HeaderInjector};
use opentelemetry_sdk::propagation::{BaggagePropagator, TraceContextPropagator};
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use serde_json::{json, Value};
use tracing::Instrument;
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;

const MAX_FANOUT: u64 = 4096;
const MAX_SLEEP_MS: u64 = 60_000;

struct Hop {
    service: String,
    client: reqwest::Client,
}

struct Query {
    target: Option<String>,
    legs: u64,
    fanout: bool,
    sleep_ms: u64,
}

/// next="u1,u2,..." -> u1 with next=u2,... appended (percent-encoded).
fn next_url(next: &str) -> Result<Option<String>, ()> {
    if next.is_empty() {
        return Ok(None);
    }
    let (first, rest) = next.split_once(',').unwrap_or((next, ""));
    if first.is_empty() {
        return Err(());
    }
    if rest.is_empty() {
        return Ok(Some(first.to_string()));
    }
    let sep = if first.contains('?') { '&' } else { '?' };
    let enc: String = form_urlencoded::byte_serialize(rest.as_bytes()).collect();
    Ok(Some(format!("{first}{sep}next={enc}")))
}

fn parse_uint(s: &str, max: u64) -> Result<u64, ()> {
    match s.parse::<u64>() {
        Ok(v) if v <= max && s.bytes().all(|b| b.is_ascii_digit()) => Ok(v),
        _ => Err(()),
    }
}

fn parse_query(raw: Option<String>) -> Result<Query, ()> {
    let mut q = Query {
        target: None,
        legs: 1,
        fanout: false,
        sleep_ms: 0,
    };
    let raw = raw.unwrap_or_default();
    for (k, v) in form_urlencoded::parse(raw.as_bytes()) {
        match &*k {
            "next" => q.target = next_url(&v)?,
            "fanout" => {
                q.fanout = true;
                q.legs = parse_uint(&v, MAX_FANOUT)?;
                if q.legs == 0 {
                    return Err(());
                }
            }
            "sleep_ms" => q.sleep_ms = parse_uint(&v, MAX_SLEEP_MS)?,
            _ => {}
        }
    }
    Ok(q)
}

fn header(h: &HeaderMap, name: &str) -> Value {
    let vals: Vec<&str> = h
        .get_all(name)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect();
    if vals.is_empty() {
        Value::Null
    } else {
        Value::String(vals.join(","))
    }
}

/// One call to the next hop, inside its own CLIENT span (child of the
/// SERVER span). Returns the CLIENT span id and the downstream JSON (null
/// on failure).
async fn call_leg(
    hop: &'static Hop,
    server: tracing::Span,
    target: String,
    leg: u64,
) -> (String, Value) {
    let span = tracing::info_span!(parent: &server, "GET", otel.kind = "client",
        http.request.method = "GET", url.full = %target, hop.leg = leg,
        http.response.status_code = tracing::field::Empty,
        otel.status_code = tracing::field::Empty);
    let cx = span.context();
    let id = cx.span().span_context().span_id().to_string();
    let mut headers = HeaderMap::new();
    global::get_text_map_propagator(|p| p.inject_context(&cx, &mut HeaderInjector(&mut headers)));
    let fut = async {
        let resp = hop.client.get(&target).headers(headers).send().await;
        let resp = match resp {
            Ok(r) => r,
            Err(e) => {
                eprintln!("rust-hop: {target}: {e}");
                tracing::Span::current().record("otel.status_code", "ERROR");
                return Value::Null;
            }
        };
        let status = resp.status().as_u16();
        tracing::Span::current().record("http.response.status_code", status);
        match resp
            .bytes()
            .await
            .ok()
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        {
            Some(v) if status == 200 => v,
            _ => {
                tracing::Span::current().record("otel.status_code", "ERROR");
                Value::Null
            }
        }
    };
    (id, fut.instrument(span).await)
}

async fn handle_hop(hop: &'static Hop, raw: Option<String>, headers: HeaderMap) -> Response {
    let Ok(q) = parse_query(raw) else {
        return (
            StatusCode::BAD_REQUEST,
            "bad query: next=<url>,...&fanout=N&sleep_ms=M\n",
        )
            .into_response();
    };
    let parent_cx: Context =
        global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(&headers)));
    let span = tracing::info_span!(
        "GET /hop",
        otel.kind = "server",
        http.request.method = "GET",
        url.path = "/hop",
        http.response.status_code = tracing::field::Empty
    );
    let _ = span.set_parent(parent_cx.clone());
    let cx = span.context();
    let sc = cx.span().span_context().clone();
    let psc = parent_cx.span().span_context().clone();

    let work = async {
        if q.sleep_ms > 0 {
            tokio::time::sleep(Duration::from_millis(q.sleep_ms)).await;
        }
        let mut downs = vec![Value::Null; q.legs as usize];
        let mut ids = Vec::new();
        if let Some(target) = &q.target {
            let mut set = tokio::task::JoinSet::new();
            for i in 0..q.legs {
                let server = tracing::Span::current();
                let target = target.clone();
                set.spawn(async move { (i, call_leg(hop, server, target, i).await) });
            }
            ids = vec![Value::Null; q.legs as usize];
            while let Some(Ok((i, (id, v)))) = set.join_next().await {
                ids[i as usize] = Value::String(id);
                downs[i as usize] = v;
            }
        }
        tracing::Span::current().record("http.response.status_code", 200);
        (downs, ids)
    };
    let (mut downs, ids) = work.instrument(span.clone()).await;
    let downstream = if q.fanout {
        Value::Array(downs)
    } else {
        downs.remove(0)
    };
    let parent_id = if psc.is_valid() {
        json!(psc.span_id().to_string())
    } else {
        Value::Null
    };
    let body = json!({
        "service": hop.service,
        "trace_id": sc.trace_id().to_string(),
        "span_id": sc.span_id().to_string(),
        "parent_id": parent_id,
        "baggage": header(&headers, "baggage"),
        "incoming_traceparent": header(&headers, "traceparent"),
        "client_span_ids": ids,
        "downstream": downstream,
    });
    drop(span);
    let mut text = body.to_string();
    text.push('\n');
    ([("content-type", "application/json")], text).into_response()
}

fn main() {
    let mut port: u16 = 0;
    let mut service = "rust-hop".to_string();
    let args: Vec<String> = std::env::args().collect();
    let mut i = 1;
    while i < args.len() {
        let (name, inline) = match args[i].split_once('=') {
            Some((n, v)) => (n.to_string(), Some(v.to_string())),
            None => (args[i].clone(), None),
        };
        let value = match inline {
            Some(v) => Some(v),
            None => {
                i += 1;
                args.get(i).cloned()
            }
        };
        match (name.as_str(), value) {
            ("--port", Some(v)) => port = v.parse().expect("--port N"),
            ("--service", Some(v)) => service = v,
            _ => {
                eprintln!("usage: rust-hop [--port N] [--service NAME]");
                std::process::exit(2);
            }
        }
        i += 1;
    }

    // Built outside the async runtime: the blocking HTTP client runs its
    // own, and the batch processor exports from its own thread.
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .build()
        .expect("otlp exporter");
    let provider = SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service.clone())
                .build(),
        )
        .build();
    global::set_text_map_propagator(TextMapCompositePropagator::new(vec![
        Box::new(TraceContextPropagator::new()),
        Box::new(BaggagePropagator::new()),
    ]));
    let tracer = provider.tracer("rust-hop");
    let subscriber =
        tracing_subscriber::registry().with(tracing_opentelemetry::layer().with_tracer(tracer));
    tracing::subscriber::set_global_default(subscriber).expect("tracing subscriber");

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(2048)
        .timeout(Duration::from_secs(60))
        .build()
        .expect("http client");
    let hop: &'static Hop = Box::leak(Box::new(Hop { service, client }));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("tokio runtime");
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        println!(
            "listening on {}",
            listener.local_addr().expect("local addr")
        );
        use std::io::Write;
        let _ = std::io::stdout().flush();
        let app = Router::new().route(
            "/hop",
            get(move |RawQuery(q): RawQuery, headers: HeaderMap| handle_hop(hop, q, headers)),
        );
        let shutdown = async {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        };
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
            .expect("serve");
    });
    drop(rt);
    if let Err(e) = provider.shutdown() {
        eprintln!("rust-hop: tracer provider shutdown: {e}");
    }
}
