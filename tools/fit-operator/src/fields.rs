//! Fields on a grid from wide tables (one row per sample, time and grid point), and back.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use piml_io::Table;
use serde_json::{Value, json};

/// Columns that are never fields.
const NOT_FIELDS: [&str; 6] = ["sample", "t", "x", "y", "condition", "replicate"];

/// The grid every sample's fields live on.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// Sorted coordinates: x, then y in 2-D.
    pub axes: Vec<Vec<f64>>,
    /// Start of the periodic domain along each axis.
    pub lo: Vec<f64>,
}

impl Grid {
    pub fn dims(&self) -> usize {
        self.axes.len()
    }

    /// (n1, n2): n1 = 1 in 1-D.
    pub fn shape(&self) -> (usize, usize) {
        match self.axes.as_slice() {
            [x] => (1, x.len()),
            [x, y] => (x.len(), y.len()),
            _ => unreachable!("1-D or 2-D"),
        }
    }

    /// The period of each axis: n·spacing.
    fn periods(&self) -> Vec<f64> {
        self.axes
            .iter()
            .map(|a| (a[a.len() - 1] - a[0]) * a.len() as f64 / (a.len() - 1) as f64)
            .collect()
    }

    /// Offsets of the first points as fractions of the period (x, y; 0 for a missing x).
    pub fn offsets(&self) -> [f64; 2] {
        let p = self.periods();
        let f: Vec<f64> = (0..self.dims())
            .map(|d| (self.axes[d][0] - self.lo[d]) / p[d])
            .collect();
        match f.as_slice() {
            [y] => [0.0, *y],
            [x, y] => [*x, *y],
            _ => unreachable!("1-D or 2-D"),
        }
    }

    pub fn describe(&self) -> Value {
        json!({
            "points": self.axes.iter().map(Vec::len).collect::<Vec<_>>(),
            "lo": self.lo,
            "period": self.periods(),
        })
    }
}

/// The samples of a table: per sample id and time, the fields on the grid.
#[derive(Debug, Clone)]
pub struct Fields {
    pub names: Vec<String>,
    pub coords: Vec<String>,
    pub grid: Grid,
    /// (sample, time) → n × fields values, field after field.
    pub values: BTreeMap<(i64, u64), Vec<f64>>,
    pub times: Vec<f64>,
}

/// The span start of each space axis in a table's model metadata (0 when it names no model).
fn domain_start(table: &Table, coords: &[String]) -> Result<Vec<f64>> {
    let model = table.source_model()?;
    Ok(coords
        .iter()
        .map(|c| {
            model
                .as_ref()
                .and_then(|m| m["space"][c]["span"][0].as_f64())
                .unwrap_or(0.0)
        })
        .collect())
}

fn sorted_unique(v: &[f64]) -> Vec<f64> {
    let mut u = v.to_vec();
    u.sort_by(f64::total_cmp);
    u.dedup();
    u
}

/// Reads the fields `wanted` (all non-coordinate numeric columns if empty) of every sample.
pub fn read(table: &Table, file: &Path, wanted: &[String]) -> Result<Fields> {
    let coords: Vec<String> = ["x", "y"]
        .iter()
        .filter(|c| table.column(c).is_some())
        .map(|c| c.to_string())
        .collect();
    if coords.is_empty() {
        bail!(
            "{}: no x column: an operator maps fields on a grid",
            file.display()
        );
    }
    let names: Vec<String> = if wanted.is_empty() {
        table
            .column_names()
            .into_iter()
            .filter(|n| !NOT_FIELDS.contains(n) && !n.starts_with("sigma_"))
            .filter(|n| table.f64_column(n).is_ok())
            .map(str::to_string)
            .collect()
    } else {
        wanted.to_vec()
    };
    if names.is_empty() {
        bail!(
            "{}: no field columns (columns: {})",
            file.display(),
            table.column_names().join(", ")
        );
    }
    let column = |name: &str| -> Result<Vec<f64>> {
        table
            .f64_values(name)?
            .into_iter()
            .enumerate()
            .map(|(r, v)| {
                v.filter(|v| v.is_finite()).with_context(|| {
                    format!(
                        "{}: row {}: '{name}' is missing or not finite",
                        file.display(),
                        r + 1
                    )
                })
            })
            .collect()
    };
    let rows = table.n_rows();
    let t = if table.column("t").is_some() {
        column("t")?
    } else {
        vec![0.0; rows]
    };
    let sample: Vec<i64> = if table.column("sample").is_some() {
        column("sample")?.into_iter().map(|v| v as i64).collect()
    } else {
        vec![0; rows]
    };
    let xs: Vec<Vec<f64>> = coords.iter().map(|c| column(c)).collect::<Result<_>>()?;
    let data: Vec<Vec<f64>> = names.iter().map(|c| column(c)).collect::<Result<_>>()?;
    let axes: Vec<Vec<f64>> = xs.iter().map(|c| sorted_unique(c)).collect();
    for (name, a) in coords.iter().zip(&axes) {
        if a.len() < 2 {
            bail!(
                "{}: '{name}' takes a single value: not a grid",
                file.display()
            );
        }
        let h = (a[a.len() - 1] - a[0]) / (a.len() - 1) as f64;
        if a.windows(2).any(|w| ((w[1] - w[0]) - h).abs() > 1e-6 * h) {
            bail!(
                "{}: '{name}' is not equally spaced: an operator needs a uniform periodic grid",
                file.display()
            );
        }
    }
    let grid = Grid {
        lo: domain_start(table, &coords)?,
        axes,
    };
    let (n1, n2) = grid.shape();
    let n = n1 * n2;
    let locate = |a: &[f64], v: f64| a.partition_point(|&u| u < v);
    let mut values: BTreeMap<(i64, u64), Vec<f64>> = BTreeMap::new();
    let mut counts: BTreeMap<(i64, u64), usize> = BTreeMap::new();
    for r in 0..rows {
        let key = (sample[r], t[r].to_bits());
        let cell = if coords.len() == 2 {
            locate(&grid.axes[0], xs[0][r]) * n2 + locate(&grid.axes[1], xs[1][r])
        } else {
            locate(&grid.axes[0], xs[0][r])
        };
        let v = values
            .entry(key)
            .or_insert_with(|| vec![f64::NAN; n * names.len()]);
        for (f, d) in data.iter().enumerate() {
            v[f * n + cell] = d[r];
        }
        *counts.entry(key).or_default() += 1;
    }
    for ((s, t), count) in &counts {
        if *count != n || values[&(*s, *t)].iter().any(|v| v.is_nan()) {
            bail!(
                "{}: sample {s} at t = {}: {count} rows do not cover the {n}-point grid once",
                file.display(),
                f64::from_bits(*t)
            );
        }
    }
    let times = sorted_unique(&t);
    Ok(Fields {
        names,
        coords,
        grid,
        values,
        times,
    })
}

impl Fields {
    /// The sample ids, in order.
    pub fn samples(&self) -> Vec<i64> {
        let mut s: Vec<i64> = self.values.keys().map(|k| k.0).collect();
        s.dedup();
        s
    }

    /// The time in the table closest to `t` (within 1e-9 relative), if any.
    pub fn time(&self, t: f64) -> Option<f64> {
        self.times
            .iter()
            .copied()
            .find(|u| (u - t).abs() <= 1e-9 * t.abs().max(1.0))
    }

    pub fn at(&self, sample: i64, t: f64) -> Option<&Vec<f64>> {
        self.values.get(&(sample, t.to_bits()))
    }
}

/// A wide table of fields: sample, t, x, (y), then each field.
pub fn table(fields: &Fields, rows: &[(i64, f64, &[f64])]) -> Table {
    let (n1, n2) = fields.grid.shape();
    let n = n1 * n2;
    let mut sample = Vec::new();
    let mut t = Vec::new();
    let mut coords = vec![Vec::new(); fields.coords.len()];
    let mut data = vec![Vec::new(); fields.names.len()];
    for &(s, time, v) in rows {
        for i in 0..n1 {
            for j in 0..n2 {
                sample.push(s);
                t.push(Some(time));
                if fields.coords.len() == 2 {
                    coords[0].push(Some(fields.grid.axes[0][i]));
                    coords[1].push(Some(fields.grid.axes[1][j]));
                } else {
                    coords[0].push(Some(fields.grid.axes[0][j]));
                }
                for (f, d) in data.iter_mut().enumerate() {
                    d.push(Some(v[f * n + i * n2 + j]));
                }
            }
        }
    }
    let mut out = Table::new();
    out.push_i64("sample", sample);
    out.push_f64("t", t);
    for (name, c) in fields.coords.iter().zip(coords) {
        out.push_f64(name, c);
    }
    for (name, d) in fields.names.iter().zip(data) {
        out.push_f64(name, d);
    }
    out
}
