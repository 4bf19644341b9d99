//! The subxt configuration of the Solvent runtime: substrate's account, signature, header and
//! hasher types, and the runtime's transaction extensions, including its own `CheckFeeder`.

use subxt::{
	config::{
		transaction_extensions::{
			ChargeTransactionPayment, CheckGenesis, CheckMetadataHash, CheckMortality, CheckNonce,
			CheckSpecVersion, CheckTxVersion,
		},
		ClientState, Config, HashFor, SubstrateConfig, TransactionExtension,
	},
	error::TransactionExtensionError,
	ext::frame_decode::extrinsics::{
		TransactionExtension as EncodeExtension, TransactionExtensionError as EncodeError,
	},
	metadata::ArcMetadata,
};

/// The Solvent runtime's configuration (`solvent_runtime::TxExtension`, in the runtime's
/// order): the substrate defaults plus [`CheckFeeder`]. Extensions whose value and implicit are
/// both empty in the metadata (`CheckNonZeroSender`, `CheckWeight`, `WeightReclaim`) need no
/// encoder.
#[derive(Debug, Clone, Default)]
pub struct SolventConfig(SubstrateConfig);

impl SolventConfig {
	/// A configuration that takes every block's metadata and versions from the node.
	pub fn new() -> Self {
		Self(SubstrateConfig::new())
	}

	/// An offline configuration: `metadata` for `spec_version` at every block (tests).
	#[cfg(test)]
	pub fn offline(spec_version: u32, metadata: ArcMetadata) -> Self {
		use subxt::config::substrate::SpecVersionForRange;
		Self(
			SubstrateConfig::builder()
				.set_spec_version_for_block_ranges([SpecVersionForRange {
					block_range: 0..u64::MAX,
					spec_version,
					transaction_version: 1,
				}])
				.set_metadata_for_spec_versions([(spec_version, metadata)])
				.build(),
		)
	}
}

/// The transaction extensions a Solvent transaction carries.
pub type SolventExtensions = (
	CheckSpecVersion,
	CheckTxVersion,
	CheckNonce,
	CheckGenesis<SolventConfig>,
	CheckMortality<SolventConfig>,
	ChargeTransactionPayment,
	CheckMetadataHash,
	CheckFeeder,
);

impl Config for SolventConfig {
	type AccountId = <SubstrateConfig as Config>::AccountId;
	type Address = <SubstrateConfig as Config>::Address;
	type Signature = <SubstrateConfig as Config>::Signature;
	type Hasher = <SubstrateConfig as Config>::Hasher;
	type Header = <SubstrateConfig as Config>::Header;
	type TransactionExtensions = SolventExtensions;
	type AssetId = u32;

	fn genesis_hash(&self) -> Option<HashFor<Self>> {
		self.0.genesis_hash()
	}

	fn spec_and_transaction_version_for_block_number(
		&self,
		block_number: u64,
	) -> Option<(u32, u32)> {
		self.0.spec_and_transaction_version_for_block_number(block_number)
	}

	fn metadata_for_spec_version(&self, spec_version: u32) -> Option<ArcMetadata> {
		self.0.metadata_for_spec_version(spec_version)
	}

	fn set_metadata_for_spec_version(&self, spec_version: u32, metadata: ArcMetadata) {
		self.0.set_metadata_for_spec_version(spec_version, metadata)
	}
}

/// `pallet_price_oracle::CheckFeeder`: gives a feeder's `feed_values` priority and rejects a
/// duplicate feed from the pool. It carries no value and no implicit data; the encoder checks
/// that the metadata agrees (an extension that grew a field is an error, not a guess).
pub struct CheckFeeder;

impl<T: Config> TransactionExtension<T> for CheckFeeder {
	type Decoded = ();
	type Params = ();

	fn new(_client: &ClientState<T>, _params: ()) -> Result<Self, TransactionExtensionError> {
		Ok(CheckFeeder)
	}
}

/// Fail unless `type_id` is an empty type (a unit tuple or a composite without fields).
fn expect_empty(
	type_id: u32,
	types: &scale_info::PortableRegistry,
	what: &str,
) -> Result<(), EncodeError> {
	let ty = types
		.resolve(type_id)
		.ok_or_else(|| EncodeError::from(format!("CheckFeeder: {what} type {type_id} missing")))?;
	let empty = match &ty.type_def {
		scale_info::TypeDef::Tuple(t) => t.fields.is_empty(),
		scale_info::TypeDef::Composite(c) => c.fields.is_empty(),
		_ => false,
	};
	if empty {
		Ok(())
	} else {
		Err(EncodeError::from(format!(
			"CheckFeeder: the runtime's {what} is not empty; this client does not know how to encode it"
		)))
	}
}

impl EncodeExtension<scale_info::PortableRegistry> for CheckFeeder {
	const NAME: &str = "CheckFeeder";

	fn encode_value_to(
		&self,
		type_id: u32,
		types: &scale_info::PortableRegistry,
		_v: &mut Vec<u8>,
	) -> Result<(), EncodeError> {
		expect_empty(type_id, types, "value")
	}

	fn encode_implicit_to(
		&self,
		type_id: u32,
		types: &scale_info::PortableRegistry,
		_v: &mut Vec<u8>,
	) -> Result<(), EncodeError> {
		expect_empty(type_id, types, "implicit")
	}
}
