//! Drawing a [`Figure`] with plotters on an in-memory bitmap (encoded as PNG)
//! or SVG string, with the font compiled into the crate.

use std::ops::Range;
use std::path::Path;
use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::coord::ranged1d::{AsRangedCoord, ValueFormatter};
use plotters::prelude::*;
use plotters::style::colors::colormaps::ViridisRGB;

use crate::error::{Error, Result};
use crate::figure::{Cells, ColourBar, Figure, Heat, Lines, Mark, Panel, value_range};

/// DejaVu Sans cut to the characters labels use; see fonts/README.md.
const FONT: &[u8] = include_bytes!("../fonts/DejaVuSans-subset.ttf");
const FAMILY: &str = "sans-serif";
const TITLE_SIZE: u32 = 20;
const CAPTION_SIZE: u32 = 15;
const LABEL_SIZE: u32 = 13;
/// Missing values in a heat map.
const MISSING: RGBColor = RGBColor(220, 220, 220);
/// Share of the colour map that line colours use: its light yellow end is
/// hard to see on white.
const LINE_COLOUR_SPAN: f64 = 0.8;

/// The file format of a picture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Png,
    Svg,
}

impl Format {
    /// The format a file name's extension says (`.png`, `.svg`, any case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "png" => Some(Format::Png),
            "svg" => Some(Format::Svg),
            _ => None,
        }
    }
}

fn register_font() -> Result<()> {
    static REGISTERED: OnceLock<Result<(), String>> = OnceLock::new();
    REGISTERED
        .get_or_init(|| {
            plotters::style::register_font(FAMILY, FontStyle::Normal, FONT)
                .map_err(|_| "the compiled-in font is not a valid TrueType font".to_string())
        })
        .clone()
        .map_err(Error::Draw)
}

fn draw_error<E: std::error::Error + Send + Sync>(e: DrawingAreaErrorKind<E>) -> Error {
    Error::Draw(e.to_string())
}

/// Draws the figure and returns the file's bytes.
pub(crate) fn draw(figure: &Figure, format: Format, width: u32, height: u32) -> Result<Vec<u8>> {
    register_font()?;
    match format {
        Format::Svg => {
            let mut text = String::new();
            {
                let root = SVGBackend::with_string(&mut text, (width, height)).into_drawing_area();
                draw_on(&root, figure)?;
                root.present().map_err(draw_error)?;
            }
            Ok(text.into_bytes())
        }
        Format::Png => {
            let mut pixels = vec![0u8; width as usize * height as usize * 3];
            {
                let root =
                    BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
                draw_on(&root, figure)?;
                root.present().map_err(draw_error)?;
            }
            encode_png(&pixels, width, height)
        }
    }
}

fn encode_png(pixels: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut encoder = png::Encoder::new(&mut bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(pixels))
        .map_err(|e| Error::Draw(format!("PNG encoding: {e}")))?;
    Ok(bytes)
}

fn draw_on<DB: DrawingBackend>(root: &DrawingArea<DB, Shift>, figure: &Figure) -> Result<()> {
    root.fill(&WHITE).map_err(draw_error)?;
    let body = root
        .titled(&figure.title, (FAMILY, TITLE_SIZE))
        .map_err(draw_error)?;
    let panels_area = match &figure.colour_bar {
        Some(bar) => {
            let (w, _) = body.dim_in_pixel();
            let (panels, bar_area) = body.split_horizontally(w.saturating_sub(110));
            draw_colour_bar(&bar_area, bar)?;
            panels
        }
        None => body,
    };
    let columns = figure.columns.max(1);
    let rows = figure.panels.len().div_ceil(columns).max(1);
    let areas = panels_area.split_evenly((rows, columns));
    let bar_range = figure.colour_bar.as_ref().map(|b| (b.min, b.max));
    for (panel, area) in figure.panels.iter().zip(&areas) {
        match panel {
            Panel::Lines(lines) => draw_lines(area, lines)?,
            Panel::Heat(heat) => draw_heat(area, heat, bar_range.unwrap_or((0.0, 1.0)))?,
        }
    }
    Ok(())
}

/// The colour of line `i` of `n`, spread over the colour map.
fn line_colour(i: usize, n: usize) -> RGBColor {
    let h = if n <= 1 {
        0.0
    } else {
        LINE_COLOUR_SPAN * i as f64 / (n - 1) as f64
    };
    ViridisRGB.get_color_normalized(h, 0.0, 1.0)
}

/// The colour of a value on the colour bar.
fn heat_colour(v: f64, (min, max): (f64, f64)) -> RGBColor {
    if !v.is_finite() {
        return MISSING;
    }
    if max > min {
        ViridisRGB.get_color_normalized(v.clamp(min, max), min, max)
    } else {
        ViridisRGB.get_color_normalized(0.5, 0.0, 1.0)
    }
}

/// An axis range around values: padded by 5%, widened when all are equal.
fn padded(lo: f64, hi: f64) -> Range<f64> {
    if hi > lo {
        let pad = 0.05 * (hi - lo);
        (lo - pad)..(hi + pad)
    } else {
        let pad = if lo == 0.0 { 1.0 } else { 0.1 * lo.abs() };
        (lo - pad)..(hi + pad)
    }
}

/// A logarithmic range around positive values: a fifth of a decade either side.
fn padded_log(lo: f64, hi: f64) -> Range<f64> {
    let factor = 10f64.powf(0.2);
    (lo / factor)..(hi * factor)
}

fn draw_lines<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, lines: &Lines) -> Result<()> {
    let shown = |y: f64| y.is_finite() && (!lines.log_y || y > 0.0);
    let points = lines
        .series
        .iter()
        .flat_map(|s| s.points.iter())
        .filter(|(x, y)| x.is_finite() && shown(*y));
    let x_range = value_range(points.clone().map(|p| p.0));
    let y_range = value_range(
        points
            .map(|p| p.1)
            .chain(lines.levels.iter().map(|l| l.y).filter(|y| shown(*y))),
    );
    let (Some((x0, x1)), Some((y0, y1))) = (x_range, y_range) else {
        return draw_empty(area, lines);
    };
    if lines.log_y {
        draw_lines_on(area, lines, padded(x0, x1), padded_log(y0, y1).log_scale())
    } else {
        draw_lines_on(area, lines, padded(x0, x1), padded(y0, y1))
    }
}

/// A panel with nothing to draw says so, rather than failing the picture.
fn draw_empty<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, lines: &Lines) -> Result<()> {
    let text = if lines.log_y {
        format!("{}: no positive values", lines.caption)
    } else {
        format!("{}: no values", lines.caption)
    };
    let (w, h) = area.dim_in_pixel();
    area.draw(&Text::new(
        text,
        (w as i32 / 4, h as i32 / 2),
        (FAMILY, CAPTION_SIZE).into_font(),
    ))
    .map_err(draw_error)
}

/// Tick labels along x that fit the panel: about one per 90 pixels (a label like `1000.0`
/// with room around it), so that the narrow panels of a grid do not run them together.
fn x_label_count<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>) -> usize {
    (area.dim_in_pixel().0 / 90).clamp(3, 10) as usize
}

fn draw_lines_on<DB, Y>(
    area: &DrawingArea<DB, Shift>,
    lines: &Lines,
    x: Range<f64>,
    y: Y,
) -> Result<()>
where
    DB: DrawingBackend,
    Y: AsRangedCoord<Value = f64>,
    Y::CoordDescType: ValueFormatter<f64>,
{
    let mut chart = ChartBuilder::on(area)
        .caption(&lines.caption, (FAMILY, CAPTION_SIZE))
        .margin(8)
        .x_label_area_size(40)
        .y_label_area_size(70)
        .build_cartesian_2d(x.clone(), y)
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .x_labels(x_label_count(area))
        .x_desc(&lines.x_label)
        .y_desc(&lines.y_label)
        .label_style((FAMILY, LABEL_SIZE))
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .max_light_lines(2)
        .draw()
        .map_err(draw_error)?;
    let keep =
        |&(px, py): &(f64, f64)| px.is_finite() && py.is_finite() && (!lines.log_y || py > 0.0);
    for level in &lines.levels {
        let style = BLACK.mix(0.6).stroke_width(1);
        chart
            .draw_series(DashedLineSeries::new(
                [(x.start, level.y), (x.end, level.y)],
                6,
                4,
                style,
            ))
            .map_err(draw_error)?
            .label(&level.label)
            .legend(move |(px, py)| PathElement::new([(px, py), (px + 20, py)], style));
    }
    for series in &lines.series {
        let colour = line_colour(series.colour, lines.colours);
        let points: Vec<(f64, f64)> = series.points.iter().copied().filter(keep).collect();
        let line = colour.stroke_width(2);
        let dot = colour.filled();
        let annotation = match series.mark {
            Mark::Solid | Mark::LineDots => chart
                .draw_series(LineSeries::new(points.iter().copied(), line))
                .map_err(draw_error)?,
            Mark::Dashed => chart
                .draw_series(DashedLineSeries::new(points.iter().copied(), 8, 5, line))
                .map_err(draw_error)?,
            Mark::Dots => chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, dot)))
                .map_err(draw_error)?,
        };
        if !series.label.is_empty() {
            let (line, gap, dot) = legend_parts(series.mark, colour);
            annotation.label(&series.label).legend(move |(px, py)| {
                EmptyElement::at((px, py))
                    + PathElement::new([(0, 0), (10 - gap, 0)], line)
                    + PathElement::new([(10 + gap, 0), (20, 0)], line)
                    + Circle::new((10, 0), 3, dot)
            });
        }
        if series.mark == Mark::LineDots {
            chart
                .draw_series(points.iter().map(|&p| Circle::new(p, 3, dot)))
                .map_err(draw_error)?;
        }
    }
    let labelled = lines.series.iter().filter(|s| !s.label.is_empty()).count() + lines.levels.len();
    // A legend of more entries than fit beside the curves hides them; the
    // colours then speak for themselves.
    if labelled > 0 && labelled <= 12 {
        chart
            .configure_series_labels()
            .position(if lines.legend_low {
                SeriesLabelPosition::LowerRight
            } else {
                SeriesLabelPosition::UpperRight
            })
            .label_font((FAMILY, LABEL_SIZE))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .draw()
            .map_err(draw_error)?;
    }
    Ok(())
}

/// The legend's sample of a series — a short line, two dashes, a dot, or a
/// line through a dot — as the styles of its two line halves, the gap
/// between them and its dot (transparent parts where unused).
fn legend_parts(mark: Mark, colour: RGBColor) -> (ShapeStyle, i32, ShapeStyle) {
    let line = match mark {
        Mark::Dots => TRANSPARENT.stroke_width(2),
        _ => colour.stroke_width(2),
    };
    let gap = if mark == Mark::Dashed { 3 } else { 0 };
    let dot = match mark {
        Mark::Dots | Mark::LineDots => colour.filled(),
        _ => TRANSPARENT.filled(),
    };
    (line, gap, dot)
}

/// Edges of cells given by their sorted centres: midway between neighbours,
/// half a spacing beyond the ends.
fn edges(centres: &[f64]) -> Vec<f64> {
    match centres {
        [] => Vec::new(),
        [c] => vec![c - 0.5, c + 0.5],
        _ => {
            let n = centres.len();
            let mut e = Vec::with_capacity(n + 1);
            e.push(centres[0] - 0.5 * (centres[1] - centres[0]));
            e.extend(centres.windows(2).map(|w| 0.5 * (w[0] + w[1])));
            e.push(centres[n - 1] + 0.5 * (centres[n - 1] - centres[n - 2]));
            e
        }
    }
}

fn draw_heat<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heat: &Heat,
    range: (f64, f64),
) -> Result<()> {
    let (x_range, y_range) = match &heat.cells {
        Cells::Grid { x, y, .. } => {
            let (ex, ey) = (edges(x), edges(y));
            (
                ex.first().copied().unwrap_or(0.0)..ex.last().copied().unwrap_or(1.0),
                ey.first().copied().unwrap_or(0.0)..ey.last().copied().unwrap_or(1.0),
            )
        }
        Cells::Dots(dots) => {
            let (x0, x1) = value_range(dots.iter().map(|d| d.0)).unwrap_or((0.0, 1.0));
            let (y0, y1) = value_range(dots.iter().map(|d| d.1)).unwrap_or((0.0, 1.0));
            (padded(x0, x1), padded(y0, y1))
        }
    };
    let area = if heat.equal_aspect {
        &equal_aspect(area, &x_range, &y_range)
    } else {
        area
    };
    let mut chart = ChartBuilder::on(area)
        .caption(&heat.caption, (FAMILY, CAPTION_SIZE))
        .margin(HEAT_MARGIN)
        .x_label_area_size(HEAT_X_LABELS)
        .y_label_area_size(HEAT_Y_LABELS)
        .build_cartesian_2d(x_range, y_range)
        .map_err(draw_error)?;
    chart
        .configure_mesh()
        .disable_mesh()
        .x_labels(x_label_count(area))
        .x_desc(&heat.x_label)
        .y_desc(&heat.y_label)
        .label_style((FAMILY, LABEL_SIZE))
        .axis_desc_style((FAMILY, LABEL_SIZE))
        .draw()
        .map_err(draw_error)?;
    match &heat.cells {
        Cells::Grid { x, y, values } => {
            let (ex, ey) = (edges(x), edges(y));
            let nx = x.len();
            chart
                .draw_series((0..y.len()).flat_map(|iy| {
                    let (ex, ey) = (&ex, &ey);
                    (0..nx).map(move |ix| {
                        Rectangle::new(
                            [(ex[ix], ey[iy]), (ex[ix + 1], ey[iy + 1])],
                            heat_colour(values[iy * nx + ix], range).filled(),
                        )
                    })
                }))
                .map_err(draw_error)?;
        }
        Cells::Dots(dots) => {
            chart
                .draw_series(
                    dots.iter()
                        .map(|&(x, y, v)| Circle::new((x, y), 3, heat_colour(v, range).filled())),
                )
                .map_err(draw_error)?;
        }
    }
    Ok(())
}

const HEAT_MARGIN: u32 = 8;
const HEAT_X_LABELS: u32 = 40;
const HEAT_Y_LABELS: u32 = 60;

/// The part of `area` whose plotting box has the data's aspect ratio,
/// centred: the rest becomes margin.
fn equal_aspect<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    x: &Range<f64>,
    y: &Range<f64>,
) -> DrawingArea<DB, Shift> {
    let (w, h) = area.dim_in_pixel();
    // Room the caption, tick labels and margins take (approximately: the
    // caption's height is its font size plus a little).
    let box_w = f64::from(w) - f64::from(HEAT_Y_LABELS + 2 * HEAT_MARGIN);
    let box_h = f64::from(h) - f64::from(HEAT_X_LABELS + 2 * HEAT_MARGIN + CAPTION_SIZE + 10);
    let aspect = (x.end - x.start) / (y.end - y.start);
    if !(box_w > 0.0 && box_h > 0.0 && aspect.is_finite() && aspect > 0.0) {
        return area.clone();
    }
    if box_w / box_h > aspect {
        let side = ((box_w - box_h * aspect) / 2.0) as i32;
        area.margin(0, 0, side, side)
    } else {
        let side = ((box_h - box_w / aspect) / 2.0) as i32;
        area.margin(side, side, 0, 0)
    }
}

/// The colour bar: the map from bottom (min) to top (max) with value ticks.
fn draw_colour_bar<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    bar: &ColourBar,
) -> Result<()> {
    const STEPS: usize = 128;
    let (min, max) = if bar.max > bar.min {
        (bar.min, bar.max)
    } else {
        (bar.min - 0.5, bar.max + 0.5)
    };
    let mut chart = ChartBuilder::on(area)
        .margin_top(40)
        .margin_bottom(48)
        .margin_left(8)
        .right_y_label_area_size(60)
        .build_cartesian_2d(0.0..1.0, min..max)
        .map_err(draw_error)?
        .set_secondary_coord(0.0..1.0, min..max);
    let step = (max - min) / STEPS as f64;
    chart
        .draw_series((0..STEPS).map(|i| {
            let v0 = min + step * i as f64;
            Rectangle::new(
                [(0.0, v0), (1.0, v0 + step)],
                heat_colour(v0 + 0.5 * step, (min, max)).filled(),
            )
        }))
        .map_err(draw_error)?;
    // Ticks on the right of the bar, where they do not cover it.
    chart
        .configure_secondary_axes()
        .y_labels(6)
        .label_style((FAMILY, LABEL_SIZE))
        .draw()
        .map_err(draw_error)?;
    // The bar's label sits above it: a rotated label would crowd the ticks.
    area.draw(&Text::new(
        bar.label.clone(),
        (4, 14),
        (FAMILY, LABEL_SIZE).into_font(),
    ))
    .map_err(draw_error)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::edges;

    #[test]
    fn cell_edges_lie_midway_and_half_a_spacing_beyond_the_ends() {
        assert_eq!(edges(&[0.0, 1.0, 3.0]), [-0.5, 0.5, 2.0, 4.0]);
        assert_eq!(edges(&[2.0]), [1.5, 2.5]);
    }
}
