//! Atomic output: write to a temporary file beside the target, rename it
//! into place only once everything was written.
//!
//! A failed run never leaves a half-written file behind and never replaces
//! a good one; readers (`make`, a watching tool, another job of a Slurm
//! array) never see a partial file.

use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::error::{Error, Result};

/// Whether the path is `-`: stdin for reading, stdout for writing.
pub(crate) fn is_std_stream(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// Checks, before any work is done, that an output can be written at `path`:
/// its directory exists, is a directory and takes a new file (`-`, stdout,
/// always can), and `path` is no directory.
pub fn check_output_path(path: &Path) -> Result<()> {
    if is_std_stream(path) {
        return Ok(());
    }
    let dir = directory(path);
    let problem = if !dir.exists() {
        io::ErrorKind::NotFound
    } else if !dir.is_dir() {
        io::ErrorKind::NotADirectory
    } else if path.is_dir() {
        io::ErrorKind::IsADirectory
    } else {
        // A read-only folder fails here, before the work, not after it.
        return temporary(path).map(drop);
    };
    Err(Error::OutputPath {
        file: path.to_path_buf(),
        source: describe_dir_error(dir, io::Error::from(problem)),
    })
}

/// Checks that no output of a run is one of its inputs (the same file, by identity: another
/// spelling, a link) nor named twice: `fit-kinetics --data d.csv -o d.csv` would otherwise
/// replace the data by the fit. Outputs and inputs that do not exist, and `-`, pass.
pub fn check_outputs_against_inputs(outputs: &[&Path], inputs: &[&Path]) -> Result<()> {
    for (i, output) in outputs.iter().enumerate() {
        if is_std_stream(output) {
            continue;
        }
        if let Some(input) = inputs.iter().find(|input| same_file(output, input)) {
            return Err(Error::OutputIsInput {
                output: output.to_path_buf(),
                input: input.to_path_buf(),
            });
        }
        let earlier = &outputs[..i];
        if earlier
            .iter()
            .any(|o| !is_std_stream(o) && same_destination(o, output))
        {
            return Err(Error::OutputTwice {
                file: output.to_path_buf(),
            });
        }
    }
    Ok(())
}

/// Whether two existing paths are one file (device and inode on Unix).
fn same_file(a: &Path, b: &Path) -> bool {
    if is_std_stream(b) {
        return false;
    }
    match (std::fs::metadata(a), std::fs::metadata(b)) {
        #[cfg(unix)]
        (Ok(x), Ok(y)) => {
            use std::os::unix::fs::MetadataExt;
            x.dev() == y.dev() && x.ino() == y.ino()
        }
        #[cfg(not(unix))]
        (Ok(_), Ok(_)) => a.canonicalize().ok() == b.canonicalize().ok(),
        _ => false,
    }
}

/// Whether two output paths (which may not exist yet) name one destination.
fn same_destination(a: &Path, b: &Path) -> bool {
    let resolve = |p: &Path| {
        directory(p)
            .canonicalize()
            .ok()
            .map(|d| d.join(p.file_name().unwrap_or_default()))
    };
    same_file(a, b) || matches!((resolve(a), resolve(b)), (Some(x), Some(y)) if x == y)
}

/// The directory an output goes to.
fn directory(path: &Path) -> &Path {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}

/// A new temporary file beside `path`, named after it.
fn temporary(path: &Path) -> Result<tempfile::NamedTempFile> {
    let dir = directory(path);
    let prefix = format!(
        ".{}.",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    builder
        .tempfile_in(dir)
        .map_err(|source| Error::OutputPath {
            file: path.to_path_buf(),
            source: describe_dir_error(dir, source),
        })
}

/// Writes through `write` into a temporary file in `path`'s directory and
/// renames it to `path` after a complete, successful write; `-` writes to
/// stdout instead.
pub fn atomic_write<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
{
    let mut outputs = Outputs::default();
    outputs.write(path, write)?;
    outputs.commit()
}

/// The outputs of one run, each written to a temporary file beside its destination and all
/// renamed into place together by [`Outputs::commit`]: a run that fails before then — a later
/// output that cannot be written, a full disk, an error in the work between two writes —
/// leaves every old file as it was (the temporaries go when `Outputs` is dropped). Output to
/// stdout (`-`) is held in memory and printed at the commit.
#[derive(Debug, Default)]
pub struct Outputs {
    staged: Vec<(std::path::PathBuf, Staged)>,
}

#[derive(Debug)]
enum Staged {
    File(tempfile::NamedTempFile),
    Stdout(Vec<u8>),
}

impl Outputs {
    /// Writes one output through `write` (staged until the commit).
    pub fn write<F>(&mut self, path: &Path, write: F) -> Result<()>
    where
        F: FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
    {
        let write_error = |source| Error::Write {
            file: if is_std_stream(path) {
                "<stdout>".into()
            } else {
                path.to_path_buf()
            },
            source,
        };
        if is_std_stream(path) {
            let mut bytes = Vec::new();
            write(&mut bytes).map_err(write_error)?;
            self.staged
                .push((path.to_path_buf(), Staged::Stdout(bytes)));
            return Ok(());
        }
        let mut out = BufWriter::new(temporary(path)?);
        write(&mut out).map_err(write_error)?;
        let temp = out.into_inner().map_err(|e| write_error(e.into_error()))?;
        temp.as_file().sync_all().map_err(write_error)?;
        self.staged.push((path.to_path_buf(), Staged::File(temp)));
        Ok(())
    }

    /// Renames every staged output into place, in the order written, and prints what goes
    /// to stdout.
    pub fn commit(self) -> Result<()> {
        for (path, staged) in self.staged {
            match staged {
                Staged::Stdout(bytes) => {
                    let mut out = io::stdout().lock();
                    out.write_all(&bytes)
                        .and_then(|()| out.flush())
                        .map_err(|source| Error::Write {
                            file: "<stdout>".into(),
                            source,
                        })?;
                }
                Staged::File(temp) => {
                    temp.persist(&path).map_err(|e| Error::OutputPath {
                        file: path.clone(),
                        source: e.error,
                    })?;
                }
            }
        }
        Ok(())
    }
}

/// Says what is wrong with the output directory in the user's terms; the
/// temporary file's own name is an implementation detail.
fn describe_dir_error(dir: &Path, source: io::Error) -> io::Error {
    let what = match source.kind() {
        // The folder exists but takes no new files (a read-only mount, /proc).
        io::ErrorKind::NotFound if dir.is_dir() => "cannot create a file in",
        io::ErrorKind::NotFound => "no such directory",
        io::ErrorKind::PermissionDenied => "no permission to write in",
        io::ErrorKind::NotADirectory => "not a directory:",
        io::ErrorKind::IsADirectory => "the output is a directory in",
        _ => return source,
    };
    io::Error::new(source.kind(), format!("{what} '{}'", dir.display()))
}
