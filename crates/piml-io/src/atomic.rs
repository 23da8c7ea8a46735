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
/// its directory exists and is a directory (`-`, stdout, always can).
pub fn check_output_path(path: &Path) -> Result<()> {
    if is_std_stream(path) {
        return Ok(());
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let problem = if !dir.exists() {
        io::ErrorKind::NotFound
    } else if !dir.is_dir() {
        io::ErrorKind::NotADirectory
    } else if path.is_dir() {
        io::ErrorKind::IsADirectory
    } else {
        return Ok(());
    };
    Err(Error::OutputPath {
        file: path.to_path_buf(),
        source: describe_dir_error(dir, io::Error::from(problem)),
    })
}

/// Writes through `write` into a temporary file in `path`'s directory and
/// renames it to `path` after a complete, successful write; `-` writes to
/// stdout instead.
///
/// On any error the temporary file is removed and an existing `path` keeps
/// its bytes. Failing to create the temporary file or to rename it into
/// place (no such directory, no permission, `path` is a directory) is
/// [`Error::OutputPath`]; a failure while writing is [`Error::Write`], whose
/// `io::Error` keeps its kind (`BrokenPipe` on a closed stdout).
/// The new file gets the permissions a plain create would (0666 less the
/// umask), not the owner-only ones of temporary files.
pub fn atomic_write<F>(path: &Path, write: F) -> Result<()>
where
    F: FnOnce(&mut (dyn Write + Send)) -> io::Result<()>,
{
    if is_std_stream(path) {
        let mut out = BufWriter::new(io::stdout());
        return write(&mut out)
            .and_then(|()| out.flush())
            .map_err(|source| Error::Write {
                file: "<stdout>".into(),
                source,
            });
    }
    let write_error = |source| Error::Write {
        file: path.to_path_buf(),
        source,
    };
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let prefix = format!(
        ".{}.",
        path.file_name().unwrap_or_default().to_string_lossy()
    );
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".tmp");
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666));
    let temp = builder
        .tempfile_in(dir)
        .map_err(|source| Error::OutputPath {
            file: path.to_path_buf(),
            source: describe_dir_error(dir, source),
        })?;

    let mut out = BufWriter::new(temp);
    write(&mut out).map_err(write_error)?;
    let temp = out.into_inner().map_err(|e| write_error(e.into_error()))?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(path).map_err(|e| Error::OutputPath {
        file: path.to_path_buf(),
        source: e.error,
    })?;
    Ok(())
}

/// Says what is wrong with the output directory in the user's terms; the
/// temporary file's own name is an implementation detail.
fn describe_dir_error(dir: &Path, source: io::Error) -> io::Error {
    let what = match source.kind() {
        io::ErrorKind::NotFound => "no such directory",
        io::ErrorKind::PermissionDenied => "no permission to write in",
        io::ErrorKind::NotADirectory => "not a directory:",
        io::ErrorKind::IsADirectory => "the output is a directory in",
        _ => return source,
    };
    io::Error::new(source.kind(), format!("{what} '{}'", dir.display()))
}
