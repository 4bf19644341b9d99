//! Chain specifications built from the runtime's genesis presets.

use sc_service::{ChainType, Properties};
use solvent_runtime::WASM_BINARY;

/// Specialized `ChainSpec`.
pub type ChainSpec = sc_service::GenericChainSpec;

fn properties() -> Properties {
	let mut p = Properties::new();
	p.insert("tokenSymbol".into(), solvent_runtime::TOKEN_SYMBOL.into());
	p.insert("tokenDecimals".into(), solvent_runtime::TOKEN_DECIMALS.into());
	p.insert("ss58Format".into(), 42.into());
	p
}

fn wasm() -> Result<&'static [u8], String> {
	WASM_BINARY.ok_or_else(|| "the runtime wasm was not built (SKIP_WASM_BUILD set?)".to_string())
}

/// `--dev`: one validator (Alice), Sudo key Alice.
pub fn development_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Solvent Development")
		.with_id("solvent_dev")
		.with_chain_type(ChainType::Development)
		.with_properties(properties())
		.with_genesis_config_preset_name(sp_genesis_builder::DEV_RUNTIME_PRESET)
		.build())
}

/// `--chain local`: four validators (Alice, Bob, Charlie, Dave).
pub fn local_chain_spec() -> Result<ChainSpec, String> {
	Ok(ChainSpec::builder(wasm()?, None)
		.with_name("Solvent Local Testnet")
		.with_id("solvent_local")
		.with_chain_type(ChainType::Local)
		.with_properties(properties())
		.with_genesis_config_preset_name(sp_genesis_builder::LOCAL_TESTNET_RUNTIME_PRESET)
		.build())
}

/// A chain spec from a JSON file, with a one-line reason on failure.
pub fn from_file(path: &str) -> Result<ChainSpec, String> {
	let p = std::path::PathBuf::from(path);
	if !p.exists() {
		return Err(format!(
			"unknown chain '{path}': expected 'dev', 'local' or the path of a chain-spec JSON file"
		));
	}
	ChainSpec::from_json_file(p)
		.map_err(|e| format!("invalid chain-spec file '{path}': {}", e.replace('\n', " ")))
}
