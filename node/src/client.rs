//! A minimal JSON-RPC client for the node's load generator (the price feeder is
//! `solvent-feeder`, tools/feeder): connects to a
//! node over WebSocket, signs extrinsics for the Solvent runtime with an sr25519 key, and
//! submits them. It uses the runtime's own types, so an extrinsic it builds is exactly what the
//! runtime decodes.

use codec::Encode;
use jsonrpsee::{
	core::client::{ClientT, Subscription, SubscriptionClientT},
	rpc_params,
	ws_client::{WsClient, WsClientBuilder},
};
use solvent_runtime::{self as runtime, opaque::Header, AccountId, Nonce, RuntimeCall};
use sp_core::{crypto::Pair as _, sr25519, H256};
use sp_runtime::generic::Era;
use std::time::Duration;

/// A connected client with the chain facts every signature needs.
pub struct ChainClient {
	/// The WebSocket connection.
	pub rpc: WsClient,
	/// Hash of block 0.
	pub genesis_hash: H256,
	/// Runtime `spec_version`.
	pub spec_version: u32,
	/// Runtime `transaction_version`.
	pub transaction_version: u32,
}

/// Errors of the client, each with a one-line message.
pub type Error = String;

impl ChainClient {
	/// Connect to `url` (`ws://host:port`) and read the genesis hash and runtime version.
	pub async fn connect(url: &str) -> Result<Self, Error> {
		let rpc = WsClientBuilder::default()
			.connection_timeout(Duration::from_secs(10))
			.request_timeout(Duration::from_secs(60))
			.max_concurrent_requests(100_000)
			.build(url)
			.await
			.map_err(|e| format!("cannot connect to node at {url}: {e}"))?;
		let genesis_hash: H256 = rpc
			.request("chain_getBlockHash", rpc_params![0u32])
			.await
			.map_err(|e| format!("chain_getBlockHash(0) failed: {e}"))?;
		let version: serde_json::Value = rpc
			.request("state_getRuntimeVersion", rpc_params![])
			.await
			.map_err(|e| format!("state_getRuntimeVersion failed: {e}"))?;
		let field = |name: &str| -> Result<u32, Error> {
			version
				.get(name)
				.and_then(|v| v.as_u64())
				.and_then(|v| u32::try_from(v).ok())
				.ok_or_else(|| format!("runtime version has no {name}"))
		};
		let spec_version = field("specVersion")?;
		let transaction_version = field("transactionVersion")?;
		if spec_version != runtime::VERSION.spec_version {
			return Err(format!(
				"node runs spec_version {spec_version}, this binary was built for {}",
				runtime::VERSION.spec_version
			));
		}
		Ok(Self { rpc, genesis_hash, spec_version, transaction_version })
	}

	/// The next nonce of `who`, counting transactions in the node's pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<Nonce, Error> {
		self.rpc
			.request("system_accountNextIndex", rpc_params![who.to_string()])
			.await
			.map_err(|e| format!("system_accountNextIndex failed: {e}"))
	}

	/// Sign `call` by `signer` with `nonce` (immortal era, no tip).
	pub fn sign(
		&self,
		call: RuntimeCall,
		signer: &sr25519::Pair,
		nonce: Nonce,
	) -> runtime::UncheckedExtrinsic {
		let tx_ext: runtime::TxExtension = runtime::tx_extension(nonce, Era::Immortal, 0);
		let implicit = runtime::tx_extension_implicit(
			self.spec_version,
			self.transaction_version,
			self.genesis_hash,
			self.genesis_hash,
		);
		let payload = runtime::SignedPayload::from_raw(call.clone(), tx_ext.clone(), implicit);
		let signature = payload.using_encoded(|bytes| signer.sign(bytes));
		runtime::UncheckedExtrinsic::new_signed(
			call,
			AccountId::from(signer.public()).into(),
			runtime::Signature::Sr25519(signature),
			tx_ext,
		)
	}

	/// Submit a signed extrinsic; returns its hash once the node's pool accepted it.
	pub async fn submit(&self, xt: &runtime::UncheckedExtrinsic) -> Result<H256, Error> {
		let hex = format!("0x{}", hex::encode(xt.encode()));
		self.rpc
			.request("author_submitExtrinsic", rpc_params![hex])
			.await
			.map_err(|e| format!("author_submitExtrinsic rejected: {e}"))
	}

	/// Subscribe to new best-block headers.
	pub async fn subscribe_new_heads(&self) -> Result<Subscription<Header>, Error> {
		self.rpc
			.subscribe("chain_subscribeNewHeads", rpc_params![], "chain_unsubscribeNewHeads")
			.await
			.map_err(|e| format!("chain_subscribeNewHeads failed: {e}"))
	}

	/// Subscribe to finalized block headers.
	pub async fn subscribe_finalized_heads(&self) -> Result<Subscription<Header>, Error> {
		self.rpc
			.subscribe(
				"chain_subscribeFinalizedHeads",
				rpc_params![],
				"chain_unsubscribeFinalizedHeads",
			)
			.await
			.map_err(|e| format!("chain_subscribeFinalizedHeads failed: {e}"))
	}

	/// The raw value at storage `key` (hex, `0x`-prefixed) in block `at` (empty if absent or
	/// on error).
	pub async fn storage_at(&self, key: &str, at: H256) -> Vec<u8> {
		let raw: Option<String> =
			self.rpc.request("state_getStorage", rpc_params![key, at]).await.ok().flatten();
		raw.and_then(|h| hex::decode(h.trim_start_matches("0x")).ok()).unwrap_or_default()
	}
}

/// An sr25519 key pair from a secret URI (`//Alice`, a mnemonic, or `0x` seed).
pub fn pair_from_suri(suri: &str) -> Result<sr25519::Pair, Error> {
	sr25519::Pair::from_string(suri, None).map_err(|e| format!("invalid --suri: {e:?}"))
}
