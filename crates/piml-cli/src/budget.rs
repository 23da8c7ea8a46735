//! Work too large for the machine is refused before anything is allocated: exit 2 naming the
//! flag and the memory it would need, instead of an abort on a failed allocation minutes in
//! (`--grid 4000000000,4000000000`, `--interior 1000000000000`).

use anyhow::{Result, bail};

/// Bytes of memory this process may use: the smaller of the machine's memory and the cgroup's
/// limit (what Slurm and containers enforce). Unknown on systems without `/proc`: no limit.
fn memory_limit() -> Option<f64> {
    let total = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            let line = text.lines().find(|l| l.starts_with("MemTotal:"))?;
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(kib * 1024.0)
        });
    let cgroup = std::fs::read_to_string("/sys/fs/cgroup/memory.max")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok());
    match (total, cgroup) {
        (Some(t), Some(c)) => Some(t.min(c)),
        (t, c) => t.or(c),
    }
}

/// A byte count as people read it: `1.5 GiB`.
fn human(bytes: f64) -> String {
    const UNITS: [&str; 7] = ["bytes", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    let mut value = bytes;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{value:.0} bytes")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Refuses (bad usage, exit 2) work that `what` (the flags, as the user wrote them) asks for
/// when it would need more than `limit` bytes. Estimates are products of counts taken in f64,
/// so that absurd counts cannot overflow on the way.
fn check_within(what: &str, bytes: f64, limit: Option<f64>) -> Result<()> {
    match limit {
        Some(limit) if bytes.is_nan() || bytes > limit => bail!(
            "{what}: would need about {} of memory, more than the {} this machine allows",
            human(bytes),
            human(limit)
        ),
        _ => Ok(()),
    }
}

/// Refuses work that `what` asks for when it would need more than this machine's memory.
pub fn check_memory(what: &str, bytes: f64) -> Result<()> {
    check_within(what, bytes, memory_limit())
}

/// Refuses a reaction–diffusion grid (`--grid`) whose state would not fit in memory with
/// `vectors` arrays of its size (the solver's work arrays, sensitivities).
pub fn check_grid(cells: &[usize], species: usize, vectors: f64) -> Result<()> {
    if cells.is_empty() {
        return Ok(());
    }
    let n: f64 = cells.iter().map(|&c| c as f64).product();
    let flag = cells
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(",");
    check_memory(
        &format!("--grid {flag}"),
        n * species as f64 * vectors * 8.0,
    )
}

/// [`check_grid`] for a fit: the solver's work arrays for the state and for its sensitivity
/// to every parameter of `model`.
pub fn check_fit_grid(cells: &[usize], model: &piml_model::Model) -> Result<()> {
    let sensitivities = (model.parameters.len() + model.species.len()) as f64;
    check_grid(cells, model.species.len(), 32.0 * (1.0 + sensitivities))
}

/// The worker threads worth starting for `--threads requested`: no more than the cores this
/// process may run on (more only add scheduling; results do not depend on the count).
pub(crate) fn useful_threads(requested: usize) -> usize {
    std::thread::available_parallelism().map_or(requested, |cores| requested.min(cores.get()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn work_beyond_the_limit_is_refused_naming_the_flag_and_both_sizes() {
        let err = check_within(
            "--grid 4000000000,4000000000",
            1.28e20,
            Some(24.0 * 1024f64.powi(3)),
        )
        .unwrap_err()
        .to_string();
        assert!(err.starts_with("--grid 4000000000,4000000000: "), "{err}");
        assert!(err.contains("111.0 EiB"), "{err}");
        assert!(err.contains("24.0 GiB"), "{err}");
        assert!(check_within("--grid 64", 1e6, Some(1e9)).is_ok());
        assert!(check_within("--grid 64", f64::INFINITY, Some(1e9)).is_err());
        assert!(check_within("--grid 64", f64::NAN, Some(1e9)).is_err());
        assert!(check_within("--grid 64", 1e30, None).is_ok());
    }

    #[test]
    fn the_machine_reports_some_memory() {
        let limit = memory_limit().expect("Linux has /proc/meminfo");
        assert!(limit > 1e8 && limit < 1e16, "{limit}");
    }

    #[test]
    fn threads_beyond_the_cores_are_not_started() {
        let cores = std::thread::available_parallelism().unwrap().get();
        assert_eq!(useful_threads(1), 1);
        assert_eq!(useful_threads(cores), cores);
        assert_eq!(useful_threads(100_000), cores);
    }
}
