//! PEtab's tab-separated tables, read as text with their line numbers, so that every message
//! can name the file, the line and the column.

use crate::error::Error;

#[derive(Debug)]
pub(crate) struct Tsv {
    pub file: String,
    pub columns: Vec<String>,
    /// (line number in the file, cells).
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Tsv {
    pub fn read(path: &std::path::Path) -> Result<Tsv, Error> {
        let file = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| Error::Read {
            file: file.clone(),
            source,
        })?;
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
            .filter(|(_, l)| !l.trim().is_empty());
        let (_, header) = lines.next().ok_or_else(|| Error::Table {
            file: file.clone(),
            line: 1,
            column: None,
            why: "the table is empty (no header)".into(),
        })?;
        let columns: Vec<String> = header.split('\t').map(|c| c.trim().to_string()).collect();
        let rows = lines
            .map(|(line, l)| {
                let mut cells: Vec<String> = l.split('\t').map(|c| c.trim().to_string()).collect();
                if cells.len() > columns.len() {
                    return Err(Error::Table {
                        file: file.clone(),
                        line,
                        column: None,
                        why: format!(
                            "{} cells under a header of {} columns",
                            cells.len(),
                            columns.len()
                        ),
                    });
                }
                cells.resize(columns.len(), String::new());
                Ok((line, cells))
            })
            .collect::<Result<_, Error>>()?;
        Ok(Tsv {
            file,
            columns,
            rows,
        })
    }

    pub fn index(&self, column: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == column)
    }

    /// The index of a column the specification requires, or an error naming it.
    pub fn require(&self, column: &str) -> Result<usize, Error> {
        self.index(column).ok_or_else(|| Error::Table {
            file: self.file.clone(),
            line: 1,
            column: Some(column.to_string()),
            why: format!(
                "a required column is missing; the table has {}",
                self.columns.join(", ")
            ),
        })
    }

    pub fn error(&self, line: usize, column: usize, why: impl Into<String>) -> Error {
        Error::Table {
            file: self.file.clone(),
            line,
            column: self.columns.get(column).cloned(),
            why: why.into(),
        }
    }

    /// A cell that must hold a number (`inf`, `-inf` and `nan` as PEtab spells them too).
    pub fn number(&self, line: usize, column: usize, text: &str) -> Result<f64, Error> {
        parse_number(text)
            .ok_or_else(|| self.error(line, column, format!("'{text}' is not a number")))
    }
}

/// A number as PEtab writes it: decimal, `inf`/`Inf`, `-inf`, `nan`/`NaN`.
pub(crate) fn parse_number(text: &str) -> Option<f64> {
    match text.trim().to_ascii_lowercase().as_str() {
        "inf" | "+inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        t => t.parse::<f64>().ok(),
    }
}
