//! A connection to one node: a subxt [`OnlineClient`] on the legacy RPC backend (the methods
//! every Substrate node serves), plus the few raw RPC methods the load generator needs typed:
//! the pool-aware next nonce and fire-and-forget submission.

use crate::{config::SolventConfig, solvent, Error};
use std::{str::FromStr, sync::Arc, time::Duration};
use subxt::{
	backend::LegacyBackend,
	config::transaction_extensions::{
		ChargeTransactionPaymentParams, CheckMortalityParams, CheckNonceParams,
	},
	config::RpcConfigFor,
	rpcs::{methods::legacy::LegacyRpcMethods, RpcClient},
	tx::Payload,
	utils::{AccountId32, H256},
	OnlineClient,
};
use subxt_signer::{sr25519::Keypair, SecretUri};

/// An account on the Solvent chain.
pub type AccountId = AccountId32;
/// The client of one node.
pub type Api = OnlineClient<SolventConfig>;

/// A signed transaction, ready to submit: its hash (as the chain computes it) and its bytes.
#[derive(Clone)]
pub struct Signed {
	/// The transaction hash.
	pub hash: H256,
	/// The SCALE-encoded transaction.
	pub bytes: Arc<Vec<u8>>,
}

/// A connected node.
pub struct Chain {
	/// The subxt client.
	pub api: Api,
	/// Typed legacy RPC methods on the same connection.
	pub rpc: LegacyRpcMethods<RpcConfigFor<SolventConfig>>,
	/// The endpoint, for messages.
	pub url: String,
}

/// How long a signed transaction stays valid (blocks from the finalized block it is signed
/// at): long enough for the slowest setup (`liquidation` with 10,000 writers), short enough
/// that nothing lingers.
pub const MORTAL_BLOCKS: u64 = 1024;

impl Chain {
	/// Connect to `url` (`ws://host:port`).
	pub async fn connect(url: &str) -> Result<Self, Error> {
		// jsonrpsee's default of 256 requests in flight is below what `--rate` can offer.
		let ws = jsonrpsee::ws_client::WsClientBuilder::default()
			.connection_timeout(Duration::from_secs(10))
			.request_timeout(Duration::from_secs(120))
			.max_concurrent_requests(100_000)
			.max_buffer_capacity_per_subscription(16_384)
			.build(url)
			.await
			.map_err(|e| format!("cannot connect to node at {url}: {e}"))?;
		let rpc_client = RpcClient::new(ws);
		let backend = LegacyBackend::builder().build(rpc_client.clone());
		let api = OnlineClient::from_backend_with_config(SolventConfig::new(), Arc::new(backend))
			.await
			.map_err(|e| format!("{url}: {e}"))?;
		Ok(Self { api, rpc: LegacyRpcMethods::new(rpc_client), url: url.to_string() })
	}

	/// The next nonce of `who`, counting its transactions in the node's pool.
	pub async fn next_nonce(&self, who: &AccountId) -> Result<u64, Error> {
		self.rpc
			.system_account_next_index(who)
			.await
			.map_err(|e| format!("{}: system_accountNextIndex: {e}", self.url))
	}

	/// A client at the current best block (subxt's `at_current_block` is the finalized one).
	pub async fn at_best(&self) -> Result<AtBlock, Error> {
		let hash = self
			.rpc
			.chain_get_block_hash(None)
			.await
			.map_err(|e| format!("{}: chain_getBlockHash: {e}", self.url))?
			.ok_or_else(|| format!("{}: no best block", self.url))?;
		self.api.at_block(hash).await.map_err(|e| format!("{}: {e}", self.url))
	}

	/// A signer for transactions built at the current finalized block (mortal from it).
	pub async fn signer(&self) -> Result<TxBuilder, Error> {
		let at = self.api.at_current_block().await.map_err(|e| format!("{}: {e}", self.url))?;
		Ok(TxBuilder { at })
	}

	/// Submit without watching; `Ok` once the node's pool accepted it.
	pub async fn submit(&self, tx: &Signed) -> Result<H256, Error> {
		self.rpc
			.author_submit_extrinsic(&tx.bytes)
			.await
			.map_err(|e| format!("{}: transaction rejected: {e}", self.url))
	}

	/// Submit `txs` in order (each watched: one subscription per transaction, so keep them
	/// few), then follow each one's progress until it is in a best block and succeeded;
	/// returns their events. An invalid or dropped transaction, a dispatch error, or a Sudo
	/// call whose inner call failed (`Sudo.Sudid` with an error) is an error.
	pub async fn submit_all_and_wait(&self, txs: &[Signed]) -> Result<Vec<Events>, Error> {
		let at = self.api.at_current_block().await.map_err(|e| format!("{}: {e}", self.url))?;
		let mut watches = Vec::with_capacity(txs.len());
		for tx in txs {
			let progress = at
				.tx()
				.from_bytes(tx.bytes.to_vec())
				.submit_and_watch()
				.await
				.map_err(|e| format!("{}: transaction rejected: {e}", self.url))?;
			watches.push((tx.hash, progress));
		}
		let mut out = Vec::with_capacity(txs.len());
		for (hash, mut progress) in watches {
			let events = loop {
				let status = progress
					.next()
					.await
					.ok_or_else(|| {
						format!("{}: transaction {hash:?}: status stream ended", self.url)
					})?
					.map_err(|e| format!("{}: transaction {hash:?}: {e}", self.url))?;
				if let Some(in_block) = status.as_in_block().or_else(|| status.as_finalized()) {
					break in_block
						.wait_for_success()
						.await
						.map_err(|e| format!("transaction {hash:?} failed: {e}"))?;
				}
			};
			if let Some(sudid) = find::<solvent::sudo::events::Sudid>(&events)? {
				if let Err(e) = sudid.sudo_result {
					return Err(format!("transaction {hash:?}: the Sudo call failed: {e:?}"));
				}
			}
			out.push(events);
		}
		Ok(out)
	}
}

/// The events of one extrinsic.
pub type Events = subxt::extrinsics::ExtrinsicEvents<SolventConfig>;

/// The first event of type `E` among `events`; an event that does not decode is an error
/// (subxt's own `find_first` skips it).
pub fn find<E: subxt::events::DecodeAsEvent>(events: &Events) -> Result<Option<E>, Error> {
	for ev in events.iter() {
		let ev = ev.map_err(|e| format!("cannot decode an event: {e}"))?;
		if let Some(e) = ev.decode_fields_as::<E>() {
			return e.map(Some).map_err(|e| format!("cannot decode an event: {e}"));
		}
	}
	Ok(None)
}

/// A client at one block.
pub type AtBlock = subxt::client::ClientAtBlock<
	SolventConfig,
	subxt::client::OnlineClientAtBlockImpl<SolventConfig>,
>;

/// Builds and signs transactions at one block.
pub struct TxBuilder {
	at: AtBlock,
}

impl TxBuilder {
	/// Sign `call` by `signer` with `nonce`, mortal for [`MORTAL_BLOCKS`] from this block, no
	/// tip.
	pub fn sign<C: Payload>(
		&self,
		call: &C,
		signer: &Keypair,
		nonce: u64,
	) -> Result<Signed, Error> {
		let params = (
			(),
			(),
			CheckNonceParams::with_nonce(nonce),
			(),
			CheckMortalityParams::mortal_from_unchecked(
				MORTAL_BLOCKS,
				self.at.block_number(),
				self.at.block_hash(),
			),
			ChargeTransactionPaymentParams::no_tip(),
			(),
			(),
		);
		let tx = self
			.at
			.tx()
			.create_signable_offline(call, params)
			.and_then(|mut s| s.sign(signer))
			.map_err(|e| format!("cannot build transaction: {e}"))?;
		Ok(Signed { hash: tx.hash(), bytes: Arc::new(tx.into_encoded()) })
	}
}

/// An sr25519 key pair from a secret URI (`//Alice`, a mnemonic, or a `0x` seed).
pub fn pair_from_suri(suri: &str) -> Result<Keypair, Error> {
	let uri = SecretUri::from_str(suri).map_err(|e| format!("invalid secret URI: {e}"))?;
	Keypair::from_uri(&uri).map_err(|e| format!("invalid secret URI: {e}"))
}

/// The account of `pair`.
pub fn account(pair: &Keypair) -> AccountId {
	pair.public_key().to_account_id()
}

/// The `MultiAddress` of `who`, as calls take it.
pub fn address(who: &AccountId) -> subxt::utils::MultiAddress<AccountId, ()> {
	subxt::utils::MultiAddress::Id(*who)
}
