//! Rebuild when the runtime metadata changes: the `#[subxt::subxt]` code generation reads
//! `tools/metadata/solvent.scale`, which cargo does not otherwise track.
fn main() {
	println!("cargo:rerun-if-changed=../metadata/solvent.scale");
}
