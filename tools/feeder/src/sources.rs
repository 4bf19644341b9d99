//! Live HTTP JSON sources and their local aggregation.
//!
//! A source is given as `KIND:ASSET=URL#POINTER[@TIME_POINTER]`:
//! - `KIND` is `spot` (USD per whole unit) or `vol` (annualized implied vol, a fraction);
//! - `ASSET` is `BTC`, `ETH` or an asset id;
//! - `URL` is an `http://` or `https://` URL answering a GET with a JSON document;
//! - `POINTER` is a JSON pointer (RFC 6901, e.g. `/data/price`) to the value, a JSON number
//!   or a decimal string;
//! - `TIME_POINTER`, optional, points to the quote's timestamp (Unix seconds, or
//!   milliseconds if above 10^11; number or string). Without it the quote is timestamped
//!   when it is received: a frozen or cached API then keeps looking fresh forever (only
//!   `--max-deviation-bps` against other sources catches it), so give a `TIME_POINTER`
//!   whenever the API has one.
//!
//! Each round every source of a key is fetched; a source that fails (connection, HTTP
//! status, JSON, pointer, non-positive value), is older than `--max-age`, is dated more than
//! [`MAX_FUTURE_SECS`] ahead of the local clock (e.g. microseconds read as seconds), or deviates from
//! the median of the others' quotes by more than `--max-deviation-bps` is dropped with a log
//! line, and the key's value is the median of the rest.

use crate::values::{parse_asset, Key};
use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_util::{client::legacy::Client, rt::TokioExecutor};
use std::time::Duration;

/// One configured source.
#[derive(Debug, Clone, PartialEq)]
pub struct Source {
	/// The key it quotes.
	pub key: Key,
	/// The URL fetched.
	pub url: String,
	/// JSON pointer to the value.
	pub pointer: String,
	/// JSON pointer to the quote's timestamp.
	pub time_pointer: Option<String>,
}

impl Source {
	/// A short name for log lines and metric labels: the URL's scheme, host, port and path,
	/// without its query string or user info (which may carry API keys).
	pub fn name(&self) -> String {
		redact_url(&self.url)
	}
}

/// `scheme://host[:port]/path` of `url`: the query string, fragment and user info (where
/// API keys travel) are left out. An unparsable URL gives `<invalid URL>`.
pub fn redact_url(url: &str) -> String {
	let Ok(uri) = url.parse::<hyper::Uri>() else {
		return "<invalid URL>".into();
	};
	let scheme = uri.scheme_str().unwrap_or("http");
	let host = uri.host().unwrap_or("");
	let port = uri.port_u16().map(|p| format!(":{p}")).unwrap_or_default();
	format!("{scheme}://{host}{port}{}", uri.path())
}

/// A quote dated more than this many seconds after the local clock is dropped (a clock
/// skew allowance; a timestamp in micro- or nanoseconds read as seconds lands far beyond).
pub const MAX_FUTURE_SECS: f64 = 5.0;

/// Parse `KIND:ASSET=URL#POINTER[@TIME_POINTER]`.
pub fn parse_source(s: &str) -> Result<Source, String> {
	let bad = |why: &str| {
		format!("bad --source '{s}': {why} (expected KIND:ASSET=URL#POINTER[@TIME_POINTER], e.g. spot:BTC=http://127.0.0.1:8080/btc#/price)")
	};
	let (key, rest) = s.split_once('=').ok_or_else(|| bad("no '='"))?;
	let (kind, asset) = key.split_once(':').ok_or_else(|| bad("no KIND:ASSET before '='"))?;
	let asset = parse_asset(asset).map_err(|e| bad(&e))?;
	let key = match kind.to_ascii_lowercase().as_str() {
		"spot" => Key::Spot(asset),
		"vol" => Key::ImpliedVol(asset),
		_ => return Err(bad("KIND must be spot or vol")),
	};
	let (url, pointers) = rest.split_once('#').ok_or_else(|| bad("no '#POINTER'"))?;
	if !(url.starts_with("http://") || url.starts_with("https://")) {
		return Err(bad("the URL must start with http:// or https://"));
	}
	url.parse::<hyper::Uri>().map_err(|e| bad(&format!("bad URL: {e}")))?;
	let (pointer, time_pointer) = match pointers.split_once('@') {
		Some((p, t)) => (p, Some(t.to_string())),
		None => (pointers, None),
	};
	for p in std::iter::once(pointer).chain(time_pointer.as_deref()) {
		if !(p.is_empty() || p.starts_with('/')) {
			return Err(bad("a JSON pointer is empty or starts with '/'"));
		}
	}
	Ok(Source { key, url: url.to_string(), pointer: pointer.to_string(), time_pointer })
}

/// A quote from a source: the value and its timestamp (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Quote {
	/// The value.
	pub value: f64,
	/// When the source says it was quoted (Unix seconds).
	pub time: f64,
}

/// A number in `v`: a JSON number or a decimal string.
fn number(v: &serde_json::Value) -> Option<f64> {
	match v {
		serde_json::Value::Number(n) => n.as_f64(),
		serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
		_ => None,
	}
	.filter(|x| x.is_finite())
}

/// Read a quote out of a source's JSON `body`, received at `now` (Unix seconds).
pub fn parse_quote(src: &Source, body: &[u8], now: f64) -> Result<Quote, String> {
	let doc: serde_json::Value =
		serde_json::from_slice(body).map_err(|e| format!("invalid JSON: {e}"))?;
	let v = doc.pointer(&src.pointer).ok_or_else(|| format!("no value at {}", src.pointer))?;
	let value = number(v)
		.filter(|x| *x > 0.0)
		.ok_or_else(|| format!("value at {} is not a positive number: {v}", src.pointer))?;
	let time = match &src.time_pointer {
		None => now,
		Some(p) => {
			let t = doc.pointer(p).ok_or_else(|| format!("no timestamp at {p}"))?;
			let t = number(t)
				.filter(|x| *x > 0.0)
				.ok_or_else(|| format!("timestamp at {p} is not a positive number: {t}"))?;
			if t > 1e11 {
				t / 1000.0
			} else {
				t
			}
		}
	};
	Ok(Quote { value, time })
}

/// An HTTP(S) client for the sources.
#[derive(Clone)]
pub struct Http {
	client: Client<
		hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>,
		Empty<Bytes>,
	>,
	timeout: Duration,
}

/// Largest source response read (bytes).
const MAX_BODY: usize = 1 << 20;

impl Http {
	/// A client with the system's root certificates, giving up on a request after `timeout`.
	pub fn new(timeout: Duration) -> Result<Self, String> {
		let builder = hyper_rustls::HttpsConnectorBuilder::new();
		let builder = match builder
			.with_provider_and_native_roots(rustls::crypto::ring::default_provider())
		{
			Ok(b) => b,
			Err(e) => {
				crate::log!("no system root certificates ({e}): https sources will fail");
				hyper_rustls::HttpsConnectorBuilder::new().with_tls_config(
					rustls::ClientConfig::builder_with_provider(
						rustls::crypto::ring::default_provider().into(),
					)
					.with_safe_default_protocol_versions()
					.map_err(|e| format!("TLS setup: {e}"))?
					.with_root_certificates(rustls::RootCertStore::empty())
					.with_no_client_auth(),
				)
			}
		};
		let connector = builder.https_or_http().enable_http1().build();
		Ok(Self { client: Client::builder(TokioExecutor::new()).build(connector), timeout })
	}

	/// GET `url`; the body of a 200 answer.
	pub async fn get(&self, url: &str) -> Result<Bytes, String> {
		let uri: hyper::Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
		let fut = async {
			let resp = self.client.get(uri).await.map_err(|e| format!("request failed: {e}"))?;
			if resp.status() != hyper::StatusCode::OK {
				return Err(format!("HTTP {}", resp.status()));
			}
			Limited::new(resp.into_body(), MAX_BODY)
				.collect()
				.await
				.map(|b| b.to_bytes())
				.map_err(|e| format!("reading the body failed: {e}"))
		};
		tokio::time::timeout(self.timeout, fut)
			.await
			.map_err(|_| format!("no answer within {} ms", self.timeout.as_millis()))?
	}

	/// Fetch and parse one quote.
	pub async fn quote(&self, src: &Source) -> Result<Quote, String> {
		let body = self.get(&src.url).await?;
		parse_quote(src, &body, crate::now_secs())
	}
}

/// Why a source's quote was left out of a round.
#[derive(Debug, Clone, PartialEq)]
pub enum Dropped {
	/// The fetch or parse failed.
	Failed(String),
	/// The quote is older than the maximum age (age in seconds).
	Stale(f64),
	/// The quote is dated more than [`MAX_FUTURE_SECS`] ahead of the local clock (seconds
	/// ahead).
	Future(f64),
	/// The quote deviates from the median by this fraction (signed).
	Deviates(f64),
}

/// The outcome of aggregating one key's quotes.
#[derive(Debug, Clone, PartialEq)]
pub struct Aggregate {
	/// The median of the kept quotes, if at least `min_sources` were kept.
	pub value: Option<f64>,
	/// The oldest timestamp among the kept quotes (Unix seconds).
	pub oldest: f64,
	/// Per source (same order as the input): its deviation from the median of all fresh
	/// quotes (a signed fraction), if it quoted.
	pub deviations: Vec<Option<f64>>,
	/// Per source: why it was dropped, if it was.
	pub dropped: Vec<Option<Dropped>>,
}

/// Median of `v` (the mean of the two middle values for an even count); `None` if empty.
pub fn median(v: &[f64]) -> Option<f64> {
	let mut v = v.to_vec();
	v.sort_by(|a, b| a.total_cmp(b));
	let n = v.len();
	match n {
		0 => None,
		_ if n % 2 == 1 => Some(v[n / 2]),
		_ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
	}
}

/// Aggregate one key's `quotes` (one per source) at `now`: drop failures, quotes older than
/// `max_age` seconds or dated more than [`MAX_FUTURE_SECS`] after `now`, and quotes more than `max_dev` (a fraction) away from the median of the
/// fresh quotes; the value is the median of what is left, if at least `min_sources` are.
pub fn aggregate(
	quotes: &[Result<Quote, String>],
	now: f64,
	max_age: f64,
	max_dev: f64,
	min_sources: usize,
) -> Aggregate {
	let n = quotes.len();
	let mut dropped: Vec<Option<Dropped>> = vec![None; n];
	let mut deviations = vec![None; n];
	let mut fresh = Vec::new();
	for (i, q) in quotes.iter().enumerate() {
		match q {
			Err(e) => dropped[i] = Some(Dropped::Failed(e.clone())),
			Ok(q) if now - q.time > max_age => dropped[i] = Some(Dropped::Stale(now - q.time)),
			// A NaN time (never produced by `parse_quote`) is dropped too.
			Ok(q) if q.time.is_nan() || q.time - now > MAX_FUTURE_SECS => {
				dropped[i] = Some(Dropped::Future(q.time - now))
			}
			Ok(q) => fresh.push((i, *q)),
		}
	}
	let values: Vec<f64> = fresh.iter().map(|(_, q)| q.value).collect();
	let Some(m) = median(&values) else {
		return Aggregate { value: None, oldest: now, deviations, dropped };
	};
	let mut kept = Vec::new();
	let mut oldest = now;
	for (i, q) in &fresh {
		let dev = (q.value - m) / m;
		deviations[*i] = Some(dev);
		if dev.abs() > max_dev {
			dropped[*i] = Some(Dropped::Deviates(dev));
		} else {
			kept.push(q.value);
			oldest = oldest.min(q.time);
		}
	}
	let value = if kept.len() >= min_sources.max(1) { median(&kept) } else { None };
	Aggregate { value, oldest, deviations, dropped }
}

#[cfg(test)]
mod tests {
	use super::*;
	use crate::values::{BTC, ETH};

	#[test]
	fn parses_sources() {
		let s =
			parse_source("spot:BTC=http://127.0.0.1:8080/btc?x=1#/data/price@/data/ts").unwrap();
		assert_eq!(s.key, Key::Spot(BTC));
		assert_eq!(s.url, "http://127.0.0.1:8080/btc?x=1");
		assert_eq!(s.pointer, "/data/price");
		assert_eq!(s.time_pointer.as_deref(), Some("/data/ts"));
		let s = parse_source("vol:eth=https://example.org/v#/iv").unwrap();
		assert_eq!((s.key, s.time_pointer), (Key::ImpliedVol(ETH), None));
		for bad in [
			"BTC=http://x/#/p",
			"spot:DOGE=http://x/#/p",
			"mark:BTC=http://x/#/p",
			"spot:BTC=ftp://x/#/p",
			"spot:BTC=http://x/",
			"spot:BTC=http://x/#price",
		] {
			assert!(parse_source(bad).unwrap_err().starts_with("bad --source"), "{bad}");
		}
	}

	#[test]
	fn parses_quotes() {
		let src = parse_source("spot:BTC=http://x/#/data/price@/data/ts").unwrap();
		let q = parse_quote(&src, br#"{"data":{"price":"64000.5","ts":1700000000123}}"#, 5.0);
		assert_eq!(q, Ok(Quote { value: 64000.5, time: 1_700_000_000.123 }));
		let q = parse_quote(&src, br#"{"data":{"price":64000,"ts":1700000000}}"#, 5.0).unwrap();
		assert_eq!(q.time, 1_700_000_000.0);
		let no_ts = parse_source("spot:BTC=http://x/#/p").unwrap();
		assert_eq!(
			parse_quote(&no_ts, br#"{"p":1.5}"#, 42.0),
			Ok(Quote { value: 1.5, time: 42.0 })
		);
		// Decoding failures are errors, never a default value.
		assert!(parse_quote(&no_ts, b"<html>", 0.0).unwrap_err().starts_with("invalid JSON"));
		assert!(parse_quote(&no_ts, br#"{"q":1}"#, 0.0).unwrap_err().starts_with("no value"));
		for v in [r#"{"p":0}"#, r#"{"p":-3}"#, r#"{"p":"abc"}"#, r#"{"p":null}"#] {
			assert!(parse_quote(&no_ts, v.as_bytes(), 0.0).is_err(), "{v}");
		}
		assert!(parse_quote(&src, br#"{"data":{"price":1}}"#, 0.0)
			.unwrap_err()
			.contains("timestamp"));
	}

	fn q(value: f64, time: f64) -> Result<Quote, String> {
		Ok(Quote { value, time })
	}

	#[test]
	fn a_liar_and_a_dead_source_are_dropped() {
		// Two honest sources, one lying 20% high, one dead.
		let quotes = vec![q(100.0, 10.0), q(101.0, 10.0), q(120.0, 10.0), Err("refused".into())];
		let a = aggregate(&quotes, 12.0, 30.0, 0.02, 1);
		assert_eq!(a.value, Some(100.5));
		assert_eq!(a.dropped[3], Some(Dropped::Failed("refused".into())));
		assert!(
			matches!(a.dropped[2], Some(Dropped::Deviates(d)) if (d - 19.0 / 101.0).abs() < 1e-12)
		);
		assert_eq!(a.dropped[..2], [None, None]);
		assert_eq!(a.deviations[0], Some(-1.0 / 101.0));
		assert_eq!(a.oldest, 10.0);
		// A liar cannot move the value outside the honest range, however far it lies.
		for lie in [0.001, 50.0, 99.0, 1e9] {
			let a = aggregate(&[q(100.0, 0.0), q(101.0, 0.0), q(lie, 0.0)], 0.0, 30.0, 0.02, 1);
			let v = a.value.unwrap();
			assert!((100.0..=101.0).contains(&v), "lie {lie}: {v}");
		}
	}

	#[test]
	fn stale_quotes_and_quorum() {
		let quotes = vec![q(100.0, 0.0), q(100.0, 95.0)];
		let a = aggregate(&quotes, 100.0, 30.0, 0.02, 1);
		assert_eq!(a.dropped[0], Some(Dropped::Stale(100.0)));
		assert_eq!((a.value, a.oldest), (Some(100.0), 95.0));
		assert_eq!(aggregate(&quotes, 100.0, 30.0, 0.02, 2).value, None);
		// Two sources that disagree by more than twice the bound: neither is trusted.
		assert_eq!(aggregate(&[q(100.0, 0.0), q(110.0, 0.0)], 0.0, 30.0, 0.02, 1).value, None);
		assert_eq!(aggregate(&[Err("x".into())], 0.0, 30.0, 0.02, 1).value, None);
		assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
		assert_eq!(median(&[]), None);
	}

	#[test]
	fn future_dated_quotes_are_dropped() {
		let now = 1_700_000_000.0;
		// 5 s ahead is clock skew and kept; 6 s ahead is dropped; a quote an hour ahead
		// used to pass the staleness test forever (negative age).
		let a = aggregate(&[q(100.0, now + 5.0), q(101.0, now + 6.0)], now, 30.0, 0.02, 1);
		assert_eq!(a.dropped, vec![None, Some(Dropped::Future(6.0))]);
		assert_eq!((a.value, a.oldest), (Some(100.0), now));
		let a = aggregate(&[q(100.0, now + 3600.0)], now, 30.0, 0.02, 1);
		assert_eq!((a.value, a.dropped[0].clone()), (None, Some(Dropped::Future(3600.0))));
		// A timestamp in microseconds (or nanoseconds) read as milliseconds lands ~5*10^4
		// years ahead: dropped, not fed forever.
		let src = parse_source("spot:BTC=http://x/#/p@/t").unwrap();
		for (body, t) in [
			(r#"{"p":1,"t":1700000000000000}"#, 1_700_000_000_000.0),
			(r#"{"p":1,"t":1700000000000000000}"#, 1_700_000_000_000_000.0),
		] {
			let quote = parse_quote(&src, body.as_bytes(), now).unwrap();
			assert_eq!(quote.time, t);
			let a = aggregate(&[Ok(quote)], now, 60.0, 0.02, 1);
			assert_eq!(a.value, None);
			assert_eq!(a.dropped[0], Some(Dropped::Future(t - now)));
		}
		assert!(matches!(
			aggregate(&[q(1.0, f64::NAN)], now, 60.0, 0.02, 1).dropped[0],
			Some(Dropped::Future(_))
		));
	}

	#[test]
	fn source_names_hide_query_strings_and_user_info() {
		let s = parse_source(
			"spot:BTC=https://user:s3cret@api.example.org:8443/v1/price?apikey=K3Y&x=1#/p",
		)
		.unwrap();
		assert_eq!(s.name(), "https://api.example.org:8443/v1/price");
		assert!(!s.name().contains("K3Y") && !s.name().contains("s3cret"));
		let s = parse_source("spot:BTC=http://127.0.0.1:8080/btc?token=abc#/price").unwrap();
		assert_eq!(s.name(), "http://127.0.0.1:8080/btc");
		assert_eq!(redact_url("https://example.org"), "https://example.org/");
		assert_eq!(redact_url("https://example.org/a?k=1"), "https://example.org/a");
		// The URL itself is still fetched whole.
		assert_eq!(s.url, "http://127.0.0.1:8080/btc?token=abc");
	}
}
