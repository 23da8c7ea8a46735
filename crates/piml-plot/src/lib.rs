//! Pictures of the tables piml's tools write, as PNG or SVG through plotters:
//! ODE trajectories with data and fits, kymographs of 1-D fields, 2-D fields at
//! chosen times, training histories, PINN residual maps, operator predictions
//! against the truth, profile likelihoods and multistart waterfalls.
//!
//! A kind reads its tables into a [`figure::Figure`] (panels of lines, tiles or
//! dots, and a colour bar), checking every column it needs first; the figure
//! is then drawn on an in-memory canvas with the font compiled into this crate,
//! so the same tables give the same bytes on every machine.

mod canvas;
mod error;
mod figure;
mod kinds;
mod model;
mod table;

pub use canvas::Format;
pub use error::{Error, Result};
pub use kinds::Kind;

use piml_io::Table;

/// How to draw: size, title, which columns, scales.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// The picture's title; by default the model's name and the kind.
    pub title: Option<String>,
    /// Width in pixels (SVG: user units).
    pub width: u32,
    /// Height in pixels (SVG: user units).
    pub height: u32,
    /// Columns to draw (species, observables, fields, parameters); empty: every one.
    pub species: Vec<String>,
    /// A logarithmic value axis for line panels.
    pub log_y: bool,
    /// Times of the panels of a 2-D field; empty: up to four spread over the table's times.
    pub times: Vec<f64>,
    /// How many ensemble members an operator picture overlays.
    pub samples: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            title: None,
            width: 900,
            height: 600,
            species: Vec::new(),
            log_y: false,
            times: Vec::new(),
            samples: 4,
        }
    }
}

/// What a kind draws from: its tables in the order the kind documents, and
/// measurements to overlay as points (trajectories only).
#[derive(Debug, Clone, Copy)]
pub struct Inputs<'a> {
    pub tables: &'a [Table],
    pub data: Option<&'a Table>,
}

/// The largest side of a picture, in pixels.
pub const MAX_SIDE: u32 = 16_384;

/// Renders one picture of `kind` from `inputs` as the bytes of a PNG or SVG file.
///
/// # Errors
/// [`Error::Table`], [`Error::Column`] or [`Error::Option`] when the tables do
/// not hold what the kind needs or an option names something they lack (the
/// message names the file and column); [`Error::Draw`] when rendering fails.
pub fn render(
    kind: Kind,
    inputs: Inputs<'_>,
    options: &Options,
    format: Format,
) -> Result<Vec<u8>> {
    // The upper limit keeps the bitmap (4 bytes a pixel, twice while it is encoded) to about
    // 2 GiB: larger pictures are a typo, not a figure.
    let sides = (200..=MAX_SIDE, 150..=MAX_SIDE);
    if !sides.0.contains(&options.width) || !sides.1.contains(&options.height) {
        return Err(Error::Option(format!(
            "--width {} --height {}: a picture takes 200 to {MAX_SIDE} pixels across and 150 to {MAX_SIDE} down",
            options.width, options.height
        )));
    }
    let figure = kind.figure(inputs, options)?;
    canvas::draw(&figure, format, options.width, options.height)
}
