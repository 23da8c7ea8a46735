//! What every piml tool shares: the common flags, the `--times` and
//! `--shard` syntaxes, progress reporting, and the mapping of errors to
//! messages and exit codes (0 success, 1 the computation failed, 2 bad input, 3 stopped by
//! SIGTERM with a checkpoint written).

mod budget;
mod checkpoint;
mod common;
mod counts;
mod docs;
mod exit;
mod progress;
mod shard;
mod times;

pub use budget::{check_fit_grid, check_grid, check_memory};
pub use checkpoint::{CheckpointArgs, STOPPED, Sigterm, Stopped, resume};
pub use common::{CommonArgs, check_outputs};
pub use counts::count;
pub use docs::main_parsed;
pub use exit::{Classifier, main_with, warn};
pub use progress::Progress;
pub use shard::Shard;
pub use times::parse_times;
