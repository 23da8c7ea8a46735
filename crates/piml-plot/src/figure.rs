//! A picture as data: a title, a grid of panels and an optional colour bar.
//! The kinds build figures; the canvas draws them on either backend.

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mark {
    Solid,
    Dashed,
    Dots,
    /// A solid line with a dot at each point.
    LineDots,
}

/// One curve or set of points of a line panel.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Series {
    pub label: String,
    pub points: Vec<(f64, f64)>,
    pub mark: Mark,
    /// Index into the figure's line colours.
    pub colour: usize,
}

/// A labelled horizontal reference line (a threshold, the best objective).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Level {
    pub label: String,
    pub y: f64,
}

/// Curves and points over two numeric axes.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Lines {
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    pub log_y: bool,
    pub series: Vec<Series>,
    pub levels: Vec<Level>,
    /// How many distinct colours the series use (they are spread over the colour map).
    pub colours: usize,
    /// The legend in the lower right corner rather than the upper right: for
    /// curves that rise to the right (profiles, waterfalls).
    pub legend_low: bool,
}

/// Values coloured through the figure's colour bar: a rectangular grid of
/// cells (given by their centres) or scattered dots.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Cells {
    /// `values[iy * x.len() + ix]`, NaN where the table has no value.
    Grid {
        x: Vec<f64>,
        y: Vec<f64>,
        values: Vec<f64>,
    },
    Dots(Vec<(f64, f64, f64)>),
}

/// A heat map.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Heat {
    pub caption: String,
    pub x_label: String,
    pub y_label: String,
    pub cells: Cells,
    /// One unit on x as long as one on y: both axes are space.
    pub equal_aspect: bool,
}

/// One panel of a figure.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Panel {
    Lines(Lines),
    Heat(Heat),
}

/// The value range of the heat panels, shown beside them.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ColourBar {
    pub label: String,
    pub min: f64,
    pub max: f64,
}

/// A whole picture.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Figure {
    pub title: String,
    pub panels: Vec<Panel>,
    /// Panels per row.
    pub columns: usize,
    pub colour_bar: Option<ColourBar>,
}

impl Figure {
    /// A figure of panels laid out in a near-square grid, at most three a row.
    pub(crate) fn grid(title: String, panels: Vec<Panel>) -> Figure {
        let columns = match panels.len() {
            0..=3 => panels.len().max(1),
            4 => 2,
            _ => 3,
        };
        Figure {
            title,
            panels,
            columns,
            colour_bar: None,
        }
    }
}

/// The colour range of some values: their finite minimum and maximum.
pub(crate) fn value_range(values: impl IntoIterator<Item = f64>) -> Option<(f64, f64)> {
    values
        .into_iter()
        .filter(|v| v.is_finite())
        .fold(None, |range, v| match range {
            None => Some((v, v)),
            Some((lo, hi)) => Some((f64::min(lo, v), f64::max(hi, v))),
        })
}

impl Cells {
    /// A grid from `(x, y, value)` points: the distinct coordinates become the
    /// cell centres; a cell no point lands on stays NaN.
    pub(crate) fn grid(points: &[(f64, f64, f64)]) -> Cells {
        let x = crate::table::distinct(points.iter().map(|p| p.0));
        let y = crate::table::distinct(points.iter().map(|p| p.1));
        let mut values = vec![f64::NAN; x.len() * y.len()];
        for &(px, py, v) in points {
            if let (Ok(ix), Ok(iy)) = (
                x.binary_search_by(|c| c.total_cmp(&px)),
                y.binary_search_by(|c| c.total_cmp(&py)),
            ) {
                values[iy * x.len() + ix] = v;
            }
        }
        Cells::Grid { x, y, values }
    }
}
