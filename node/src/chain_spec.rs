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
	let spec = ChainSpec::from_json_file(p)
		.map_err(|e| format!("invalid chain-spec file '{path}': {}", one_line(&e)))?;
	// A spec that parses can still carry a genesis the runtime rejects; building its storage
	// here reports that in one line (sc-chain-spec's own error quotes the whole genesis JSON).
	sp_runtime::BuildStorage::build_storage(&spec)
		.map_err(|e| format!("invalid genesis in chain-spec file '{path}': {}", one_line(&e)))?;
	Ok(spec)
}

/// The first part of an error message, on one line: sc-chain-spec appends the whole genesis
/// JSON (" for blob: ...") to patch errors; longer messages are cut at 300 characters.
fn one_line(msg: &str) -> String {
	let head = msg.split(" for blob:").next().unwrap_or(msg);
	let flat: String = head.split_whitespace().collect::<Vec<_>>().join(" ");
	if flat.chars().count() > 300 {
		format!("{}...", flat.chars().take(300).collect::<String>())
	} else {
		flat
	}
}

#[cfg(test)]
mod one_line_tests {
	use super::one_line;

	#[test]
	fn genesis_blob_is_cut_and_lines_joined() {
		let msg = "Invalid JSON blob: unknown field `x`\n at line 2 for blob:\n{\n  \"a\": 1\n}";
		assert_eq!(one_line(msg), "Invalid JSON blob: unknown field `x` at line 2");
		assert_eq!(one_line(&"y".repeat(400)).len(), 303);
	}
}
