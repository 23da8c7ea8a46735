//! Counts that must be at least one, parsed by clap: `--keep 0` or `--batch 0` is a usage
//! error (exit 2, clap naming the flag) instead of an empty result or a run that never writes
//! what was asked for.

use std::str::FromStr;

/// A count of at least one: `#[arg(value_parser = piml_cli::count::<usize>)]`.
pub fn count<T: FromStr + PartialOrd + From<u8>>(s: &str) -> Result<T, String> {
    match s.trim().parse::<T>() {
        Ok(n) if n >= T::from(1) => Ok(n),
        Ok(_) => Err("expected a count of at least 1".into()),
        Err(_) => Err("expected a count (a whole number of at least 1)".into()),
    }
}
