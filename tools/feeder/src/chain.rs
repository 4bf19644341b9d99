//! The chain side: subxt configuration for the Solvent runtime (with its `CheckFeeder`
//! transaction extension), connection, nonce tracking and `PriceOracle::feed_values`
//! submission.

use crate::values::Value;
use subxt::{
	config::{
		transaction_extensions::{self as ext, ChargeAssetTxPaymentParams, CheckMortalityParams},
		ClientState, Config, HashFor, RpcConfigFor, SubstrateConfig, TransactionExtension,
	},
	error::TransactionExtensionError,
	rpcs::{methods::LegacyRpcMethods, RpcClient},
	OnlineClient,
};
use subxt_signer::sr25519::Keypair;

/// Types generated from the runtime metadata checked in at `tools/metadata/solvent.scale`
/// (regenerate with `scripts/update-metadata.sh`).
#[subxt::subxt(runtime_metadata_path = "../metadata/solvent.scale")]
pub mod solvent {}

use solvent::runtime_types::{
	bounded_collections::bounded_vec::BoundedVec, solvent_primitives::OracleKey as RtKey,
	sp_arithmetic::fixed_point::FixedU128,
};

/// subxt configuration for the Solvent runtime: Substrate's defaults (32-byte account ids,
/// `MultiAddress`, `MultiSignature`, blake2-256, u32 block numbers) plus the runtime's own
/// `CheckFeeder` extension.
#[derive(Debug, Clone, Default)]
pub struct SolventConfig(SubstrateConfig);

/// The transaction extensions the feeder signs with, in any order (subxt orders them by the
/// runtime's metadata; extensions the runtime does not list are skipped, and the runtime's
/// `CheckNonZeroSender`, `CheckWeight` and `WeightReclaim` carry no data).
pub type SolventExtensions = (
	ext::VerifySignature<SolventConfig>,
	ext::CheckSpecVersion,
	ext::CheckTxVersion,
	ext::CheckNonce,
	ext::CheckGenesis<SolventConfig>,
	ext::CheckMortality<SolventConfig>,
	ext::ChargeAssetTxPayment<SolventConfig>,
	ext::ChargeTransactionPayment,
	ext::CheckMetadataHash,
	CheckFeeder,
);

impl Config for SolventConfig {
	type Address = <SubstrateConfig as Config>::Address;
	type AssetId = <SubstrateConfig as Config>::AssetId;
	type AccountId = <SubstrateConfig as Config>::AccountId;
	type Signature = <SubstrateConfig as Config>::Signature;
	type Hasher = <SubstrateConfig as Config>::Hasher;
	type Header = <SubstrateConfig as Config>::Header;
	type TransactionExtensions = SolventExtensions;

	fn genesis_hash(&self) -> Option<HashFor<Self>> {
		self.0.genesis_hash()
	}
	fn legacy_types_for_spec_version<'this>(
		&'this self,
		spec_version: u32,
	) -> Option<scale_info_legacy::TypeRegistrySet<'this>> {
		self.0.legacy_types_for_spec_version(spec_version)
	}
	fn metadata_for_spec_version(&self, spec_version: u32) -> Option<subxt::ArcMetadata> {
		self.0.metadata_for_spec_version(spec_version)
	}
	fn set_metadata_for_spec_version(&self, spec_version: u32, metadata: subxt::ArcMetadata) {
		self.0.set_metadata_for_spec_version(spec_version, metadata)
	}
	fn spec_and_transaction_version_for_block_number(
		&self,
		block_number: u64,
	) -> Option<(u32, u32)> {
		self.0.spec_and_transaction_version_for_block_number(block_number)
	}
}

/// `pallet_price_oracle::CheckFeeder`: rejects invalid feeds in the pool. It carries no data
/// (its explicit and implicit payloads are both `()`), so it encodes to nothing; it is named
/// here so that a runtime that gave it data would fail loudly at signing rather than be
/// signed wrongly.
#[derive(Debug, Clone, Copy, Default)]
pub struct CheckFeeder;

impl<T: Config> TransactionExtension<T> for CheckFeeder {
	type Decoded = ();
	type Params = ();

	fn new(_client: &ClientState<T>, _params: ()) -> Result<Self, TransactionExtensionError> {
		Ok(CheckFeeder)
	}
}

impl subxt::ext::frame_decode::extrinsics::TransactionExtension<scale_info::PortableRegistry>
	for CheckFeeder
{
	const NAME: &str = "CheckFeeder";

	fn encode_value_to(
		&self,
		type_id: u32,
		types: &scale_info::PortableRegistry,
		_v: &mut Vec<u8>,
	) -> Result<(), subxt::ext::frame_decode::extrinsics::TransactionExtensionError> {
		expect_empty(type_id, types)
	}
	fn encode_implicit_to(
		&self,
		type_id: u32,
		types: &scale_info::PortableRegistry,
		_v: &mut Vec<u8>,
	) -> Result<(), subxt::ext::frame_decode::extrinsics::TransactionExtensionError> {
		expect_empty(type_id, types)
	}
}

/// `Ok` if `type_id` is a type that encodes to nothing (`()` or a field-less composite).
fn expect_empty(
	type_id: u32,
	types: &scale_info::PortableRegistry,
) -> Result<(), subxt::ext::frame_decode::extrinsics::TransactionExtensionError> {
	use scale_info::TypeDef;
	let empty = match types.resolve(type_id).map(|t| &t.type_def) {
		Some(TypeDef::Tuple(t)) => t.fields.is_empty(),
		Some(TypeDef::Composite(c)) => c.fields.is_empty(),
		_ => false,
	};
	if empty {
		Ok(())
	} else {
		Err(format!(
			"the runtime's CheckFeeder extension carries data (type {type_id}); this feeder \
			 knows only the data-less one"
		)
		.into())
	}
}

/// The parameters of [`SolventExtensions`]: an explicit nonce, a mortal era of
/// `mortality` blocks from the block the transaction is built at, no tip.
pub fn tx_params(
	nonce: u64,
	mortality: u64,
) -> <SolventExtensions as subxt::config::TransactionExtensions<SolventConfig>>::Params {
	(
		(),
		(),
		(),
		ext::CheckNonceParams::with_nonce(nonce),
		(),
		CheckMortalityParams::mortal(mortality),
		ChargeAssetTxPaymentParams::no_tip(),
		ext::ChargeTransactionPaymentParams::no_tip(),
		(),
		(),
	)
}

/// A live connection: the subxt client and the legacy RPC methods (for the pool-aware next
/// nonce).
#[derive(Clone)]
pub struct Chain {
	/// The subxt client (fetches the metadata of each runtime version it meets, so it follows
	/// runtime upgrades).
	pub api: OnlineClient<SolventConfig>,
	/// Raw RPC methods.
	pub rpc: LegacyRpcMethods<RpcConfigFor<SolventConfig>>,
}

impl Chain {
	/// Connect to `url` (`ws://` or `wss://`; plain `ws://` is allowed to any host).
	pub async fn connect(url: &str) -> Result<Self, String> {
		let client = RpcClient::from_insecure_url(url)
			.await
			.map_err(|e| format!("cannot connect to node at {url}: {e}"))?;
		let api = OnlineClient::<SolventConfig>::from_rpc_client_with_config(
			SolventConfig::default(),
			client.clone(),
		)
		.await
		.map_err(|e| format!("cannot connect to node at {url}: {e}"))?;
		Ok(Self { api, rpc: LegacyRpcMethods::new(client) })
	}

	/// The next nonce of `who`, counting its transactions in the node's pool.
	pub async fn next_nonce(&self, who: &Keypair) -> Result<u64, String> {
		let account = who.public_key().to_account_id();
		self.rpc
			.system_account_next_index(&account)
			.await
			.map_err(|e| format!("system_accountNextIndex failed: {e}"))
	}
}

/// The `feed_values` call for `values`.
pub fn feed_call(values: &[Value]) -> impl subxt::transactions::Payload {
	let values: Vec<(RtKey, FixedU128)> = values
		.iter()
		.map(|v| {
			let key = match v.key {
				crate::values::Key::Spot(a) => RtKey::Spot(a),
				crate::values::Key::ImpliedVol(a) => RtKey::ImpliedVol(a),
			};
			(key, FixedU128(v.inner))
		})
		.collect();
	solvent::transactions().price_oracle().feed_values(BoundedVec(values))
}
