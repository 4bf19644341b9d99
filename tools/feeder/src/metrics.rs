//! Prometheus metrics, served as text on `http://ADDR:PORT/metrics`.

use http_body_util::Full;
use hyper::{body::Bytes, server::conn::http1, service::service_fn, Response};
use hyper_util::rt::TokioIo;
use prometheus::{Encoder, Gauge, GaugeVec, IntCounter, IntCounterVec, Opts, Registry};
use std::net::SocketAddr;

/// The feeder's metrics.
#[derive(Clone)]
pub struct Metrics {
	registry: Registry,
	/// Feeds accepted by the node's pool.
	pub submitted: IntCounter,
	/// Feeds included in a best block and dispatched successfully.
	pub included: IntCounter,
	/// Feeds rejected by the pool, invalidated, dropped, or failed at dispatch.
	pub failed: IntCounter,
	/// Rounds in which nothing was fed (no value, no connection, or a rejection).
	pub skipped: IntCounter,
	/// Reconnections to the node.
	pub reconnects: IntCounter,
	/// Best-block streams that stayed silent for `--stall-timeout` (each one reconnects).
	pub stalls: IntCounter,
	/// Unix time (seconds) of the last included feed.
	pub last_success: Gauge,
	/// Per key and source: the signed deviation of its last quote from the median of all
	/// fresh quotes of the key (a fraction).
	pub deviation: GaugeVec,
	/// Per key and source: quotes dropped (failed, stale, future-dated or deviating).
	pub source_dropped: IntCounterVec,
}

impl Metrics {
	/// New metrics in a fresh registry.
	pub fn new() -> Result<Self, String> {
		let registry = Registry::new();
		let e = |e: prometheus::Error| format!("metrics: {e}");
		let counter = |name: &str, help: &str| -> Result<IntCounter, String> {
			let c = IntCounter::new(name, help).map_err(e)?;
			registry.register(Box::new(c.clone())).map_err(e)?;
			Ok(c)
		};
		let submitted =
			counter("solvent_feeder_feeds_submitted_total", "Feeds accepted by the node's pool")?;
		let included = counter(
			"solvent_feeder_feeds_included_total",
			"Feeds included in a best block and dispatched successfully",
		)?;
		let failed = counter(
			"solvent_feeder_feeds_failed_total",
			"Feeds rejected by the pool, invalidated, dropped or failed at dispatch",
		)?;
		let skipped =
			counter("solvent_feeder_rounds_skipped_total", "Rounds in which nothing was fed")?;
		let reconnects = counter("solvent_feeder_reconnects_total", "Reconnections to the node")?;
		let stalls = counter(
			"solvent_feeder_stalls_total",
			"Best-block streams silent for --stall-timeout seconds (each one reconnects)",
		)?;
		let last_success = Gauge::new(
			"solvent_feeder_last_success_timestamp_seconds",
			"Unix time of the last included feed",
		)
		.map_err(e)?;
		registry.register(Box::new(last_success.clone())).map_err(e)?;
		let deviation = GaugeVec::new(
			Opts::new(
				"solvent_feeder_source_deviation_ratio",
				"Signed deviation of a source's last quote from the median of the key's fresh quotes",
			),
			&["key", "source"],
		)
		.map_err(e)?;
		registry.register(Box::new(deviation.clone())).map_err(e)?;
		let source_dropped = IntCounterVec::new(
			Opts::new(
				"solvent_feeder_source_dropped_total",
				"Quotes dropped (failed, stale, future-dated or deviating)",
			),
			&["key", "source"],
		)
		.map_err(e)?;
		registry.register(Box::new(source_dropped.clone())).map_err(e)?;
		Ok(Self {
			registry,
			submitted,
			included,
			failed,
			skipped,
			reconnects,
			stalls,
			last_success,
			deviation,
			source_dropped,
		})
	}

	/// The metrics in Prometheus' text format.
	pub fn render(&self) -> Vec<u8> {
		let mut buf = Vec::new();
		// Encoding into a Vec cannot fail for well-formed metric families.
		let _ = prometheus::TextEncoder::new().encode(&self.registry.gather(), &mut buf);
		buf
	}

	/// Serve the metrics on `addr` in the background; errors binding are returned.
	pub async fn serve(self, addr: SocketAddr) -> Result<(), String> {
		let listener = tokio::net::TcpListener::bind(addr)
			.await
			.map_err(|e| format!("cannot listen on {addr} for metrics: {e}"))?;
		tokio::spawn(async move {
			loop {
				let Ok((stream, _)) = listener.accept().await else { continue };
				let me = self.clone();
				tokio::spawn(async move {
					let svc = service_fn(move |req: hyper::Request<hyper::body::Incoming>| {
						let me = me.clone();
						async move {
							let resp = if req.uri().path() == "/metrics" {
								Response::builder()
									.header("content-type", "text/plain; version=0.0.4")
									.body(Full::new(Bytes::from(me.render())))
							} else {
								Response::builder()
									.status(404)
									.body(Full::new(Bytes::from_static(b"not found\n")))
							};
							resp
						}
					});
					let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
				});
			}
		});
		Ok(())
	}
}
