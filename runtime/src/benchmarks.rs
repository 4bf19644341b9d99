//! The pallets benchmarked by `solvent-node benchmark pallet` (built with
//! `--features runtime-benchmarks`).

frame_benchmarking::define_benchmarks!(
	[frame_benchmarking, BaselineBench::<Runtime>]
	[frame_system, SystemBench::<Runtime>]
	[frame_system_extensions, SystemExtensionsBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_safe_mode, SafeMode]
	[pallet_tx_pause, TxPause]
	[pallet_price_oracle, PriceOracle]
	[pallet_margin, Margin]
	[pallet_options, Options]
	[pallet_insurance_fund, InsuranceFund]
	[pallet_validator_set, ValidatorSet]
);
