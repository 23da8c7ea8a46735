//! The in-memory wide table every tool reads and writes: ordered, named,
//! equally long columns plus file-level key–value metadata.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Columns that always hold text: the experiment name and the collocation set.
pub const TEXT_COLUMNS: [&str; 2] = ["condition", "set"];

/// Columns that always hold integers: the ensemble member and the replicate.
pub const INTEGER_COLUMNS: [&str; 2] = ["sample", "replicate"];

/// Where a table that was not read from a file says it came from in errors.
const IN_MEMORY: &str = "<table>";

/// One column's values.
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    /// Numbers; `None` is null (not measured). NaN is a value, distinct from null.
    F64(Vec<Option<f64>>),
    /// Text, such as `condition` or `set`; `None` is null.
    Utf8(Vec<Option<String>>),
    /// Integers without nulls, such as `sample` or `replicate`.
    I64(Vec<i64>),
}

impl Column {
    /// Number of rows.
    pub fn len(&self) -> usize {
        match self {
            Column::F64(v) => v.len(),
            Column::Utf8(v) => v.len(),
            Column::I64(v) => v.len(),
        }
    }

    /// Whether the column has no rows.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The type's name as error messages show it.
    pub fn type_name(&self) -> &'static str {
        match self {
            Column::F64(_) => "numbers",
            Column::Utf8(_) => "text",
            Column::I64(_) => "integers",
        }
    }

    /// An empty column of the type a file's column becomes: fixed by name for
    /// the columns with a role (`condition`, `sample`, …), otherwise text if
    /// the file stores text and numbers for the rest.
    pub(crate) fn for_role(name: &str, text_in_file: bool, capacity: usize) -> Column {
        if TEXT_COLUMNS.contains(&name) {
            Column::Utf8(Vec::with_capacity(capacity))
        } else if INTEGER_COLUMNS.contains(&name) {
            Column::I64(Vec::with_capacity(capacity))
        } else if text_in_file {
            Column::Utf8(Vec::with_capacity(capacity))
        } else {
            Column::F64(Vec::with_capacity(capacity))
        }
    }

    /// The rows whose `keep` entry is true, in order.
    fn filter(&self, keep: &[bool]) -> Column {
        fn pick<T: Clone>(values: &[T], keep: &[bool]) -> Vec<T> {
            values
                .iter()
                .zip(keep)
                .filter(|(_, k)| **k)
                .map(|(v, _)| v.clone())
                .collect()
        }
        match self {
            Column::F64(v) => Column::F64(pick(v, keep)),
            Column::Utf8(v) => Column::Utf8(pick(v, keep)),
            Column::I64(v) => Column::I64(pick(v, keep)),
        }
    }
}

/// A wide table: ordered named columns of equal length, and the file-level
/// metadata (`piml.model`, `piml.tool`, …) that travels with it.
///
/// A table read from a file remembers the file's name so that its errors
/// (a missing column, a wrong type) can name it.
#[derive(Debug, Clone, Default)]
pub struct Table {
    names: Vec<String>,
    columns: Vec<Column>,
    metadata: BTreeMap<String, String>,
    source: Option<PathBuf>,
}

/// Tables are equal when their columns, values and metadata are; where they
/// came from does not matter.
impl PartialEq for Table {
    fn eq(&self, other: &Self) -> bool {
        self.names == other.names
            && self.columns == other.columns
            && self.metadata == other.metadata
    }
}

impl Table {
    /// An empty table: no columns, no rows, no metadata.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a column, or replaces the column of that name in place.
    ///
    /// # Panics
    /// When the column's length differs from the table's row count: columns
    /// of unequal length are a bug in the caller, not bad input.
    pub fn push(&mut self, name: &str, column: Column) {
        let index = self.index(name);
        let rows = self
            .columns
            .iter()
            .enumerate()
            .find(|(i, _)| Some(*i) != index)
            .map(|(_, c)| c.len());
        if let Some(rows) = rows {
            let len = column.len();
            assert_eq!(
                len, rows,
                "column '{name}' has {len} rows, the table {rows}"
            );
        }
        match index {
            Some(i) => self.columns[i] = column,
            None => {
                self.names.push(name.to_string());
                self.columns.push(column);
            }
        }
    }

    /// Appends (or replaces) a numeric column; see [`Table::push`].
    pub fn push_f64(&mut self, name: &str, values: Vec<Option<f64>>) {
        self.push(name, Column::F64(values));
    }

    /// Appends (or replaces) a text column; see [`Table::push`].
    pub fn push_utf8(&mut self, name: &str, values: Vec<Option<String>>) {
        self.push(name, Column::Utf8(values));
    }

    /// Appends (or replaces) an integer column; see [`Table::push`].
    pub fn push_i64(&mut self, name: &str, values: Vec<i64>) {
        self.push(name, Column::I64(values));
    }

    /// Number of rows (0 for a table without columns).
    pub fn n_rows(&self) -> usize {
        self.columns.first().map_or(0, Column::len)
    }

    /// Number of columns.
    pub fn n_columns(&self) -> usize {
        self.columns.len()
    }

    /// Column names in order.
    pub fn column_names(&self) -> Vec<&str> {
        self.names.iter().map(String::as_str).collect()
    }

    /// Columns in order, with their names.
    pub fn columns(&self) -> impl Iterator<Item = (&str, &Column)> {
        self.names.iter().map(String::as_str).zip(&self.columns)
    }

    /// The column of that name, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.index(name).map(|i| &self.columns[i])
    }

    /// A numeric column, or an error naming the file and the column.
    pub fn f64_column(&self, name: &str) -> Result<&[Option<f64>]> {
        match self.required(name)? {
            Column::F64(v) => Ok(v),
            other => Err(self.wrong_type(name, "numbers", other)),
        }
    }

    /// A column's values as numbers, widening an integer column: for tools
    /// that read times or inputs a spreadsheet may have stored as integers.
    pub fn f64_values(&self, name: &str) -> Result<Vec<Option<f64>>> {
        match self.required(name)? {
            Column::F64(v) => Ok(v.clone()),
            // Integers past 2^53 round; row counts and sample ids never get there.
            Column::I64(v) => Ok(v.iter().map(|&i| Some(i as f64)).collect()),
            other => Err(self.wrong_type(name, "numbers", other)),
        }
    }

    /// A text column, or an error naming the file and the column.
    pub fn utf8_column(&self, name: &str) -> Result<&[Option<String>]> {
        match self.required(name)? {
            Column::Utf8(v) => Ok(v),
            other => Err(self.wrong_type(name, "text", other)),
        }
    }

    /// An integer column, or an error naming the file and the column.
    pub fn i64_column(&self, name: &str) -> Result<&[i64]> {
        match self.required(name)? {
            Column::I64(v) => Ok(v),
            other => Err(self.wrong_type(name, "integers", other)),
        }
    }

    /// Checks that every named column exists; the error lists all that do not,
    /// so the user fixes the file once.
    pub fn require_columns(&self, names: &[&str]) -> Result<()> {
        let missing: Vec<String> = names
            .iter()
            .filter(|n| self.index(n).is_none())
            .map(|n| n.to_string())
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(Error::MissingColumns {
            file: self.source_name(),
            missing,
            available: self.names.clone(),
        })
    }

    /// Columns that are not in `known`, in table order: the tool warns that it
    /// ignores them.
    pub fn unknown_columns(&self, known: &[&str]) -> Vec<String> {
        self.names
            .iter()
            .filter(|n| !known.contains(&n.as_str()))
            .cloned()
            .collect()
    }

    /// The rows whose `keep` entry is true, with the same columns, metadata
    /// and source.
    ///
    /// # Panics
    /// When `keep` is not one entry per row.
    pub fn filter(&self, keep: &[bool]) -> Table {
        assert_eq!(
            keep.len(),
            self.n_rows(),
            "row mask length differs from the row count"
        );
        Table {
            names: self.names.clone(),
            columns: self.columns.iter().map(|c| c.filter(keep)).collect(),
            metadata: self.metadata.clone(),
            source: self.source.clone(),
        }
    }

    /// The rows of one experiment (`--condition NAME`), without the `condition` column: what
    /// is left is fitted under the model's settings for that condition, or as the model is
    /// written when it lists none of that name. An error names the conditions present when the
    /// table has no row of `name`, or says the column is missing.
    pub fn rows_of_condition(&self, name: &str) -> Result<Table> {
        let labels = self.utf8_column("condition")?;
        let keep: Vec<bool> = labels.iter().map(|v| v.as_deref() == Some(name)).collect();
        if !keep.contains(&true) {
            let mut present: Vec<String> = Vec::new();
            for label in labels.iter().flatten() {
                if !present.contains(label) {
                    present.push(label.clone());
                }
            }
            return Err(Error::NoSuchCondition {
                file: self.source_name(),
                condition: name.to_string(),
                present,
            });
        }
        let mut rows = self.filter(&keep);
        let column = rows.index("condition").expect("read above");
        rows.names.remove(column);
        rows.columns.remove(column);
        Ok(rows)
    }

    /// File-level key–value metadata (`piml.model`, `piml.tool`, …).
    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    /// The model the table was made from (its `piml.model` metadata), or `None` when it names
    /// none (a CSV, another program's file). Damaged metadata is an error naming the file:
    /// read as "no model" it would silently change what a tool assumes (the domain's origin).
    pub fn source_model(&self) -> Result<Option<serde_json::Value>> {
        let Some(text) = self.metadata.get(crate::META_MODEL) else {
            return Ok(None);
        };
        let damaged = |problem: String| Error::Metadata {
            file: self.source.clone().unwrap_or_default(),
            key: crate::META_MODEL,
            problem,
        };
        match serde_json::from_str(text) {
            Ok(serde_json::Value::Null) => Ok(None),
            Ok(model @ serde_json::Value::Object(_)) => Ok(Some(model)),
            Ok(_) => Err(damaged("expected a JSON object".into())),
            Err(e) => Err(damaged(e.to_string())),
        }
    }

    /// Replaces the file-level metadata.
    pub fn set_metadata(&mut self, metadata: BTreeMap<String, String>) {
        self.metadata = metadata;
    }

    /// The file the table was read from (`<stdin>` for standard input), if any.
    pub fn source(&self) -> Option<&Path> {
        self.source.as_deref()
    }

    /// Records the file the table was read from, for error messages.
    pub(crate) fn set_source(&mut self, source: &Path) {
        self.source = Some(source.to_path_buf());
    }

    fn index(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    fn source_name(&self) -> PathBuf {
        self.source
            .clone()
            .unwrap_or_else(|| PathBuf::from(IN_MEMORY))
    }

    fn required(&self, name: &str) -> Result<&Column> {
        self.require_columns(&[name])?;
        Ok(self.column(name).expect("checked just above"))
    }

    fn wrong_type(&self, name: &str, expected: &'static str, found: &Column) -> Error {
        Error::WrongType {
            file: self.source_name(),
            column: name.to_string(),
            expected,
            found: found.type_name(),
        }
    }
}

/// The first name that occurs twice, if any: files may repeat a column
/// name, tables may not.
pub(crate) fn first_duplicate<'a>(names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    names.into_iter().find(|name| !seen.insert(*name))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Table {
        let mut t = Table::new();
        t.push_f64("t", vec![Some(0.0), Some(1.0), Some(2.0)]);
        t.push_utf8("condition", vec![Some("a".into()), None, Some("a".into())]);
        t.push_i64("sample", vec![0, 1, 2]);
        t
    }

    #[test]
    fn columns_keep_their_order_and_types() {
        let t = sample();
        assert_eq!(t.n_rows(), 3);
        assert_eq!(t.column_names(), ["t", "condition", "sample"]);
        assert_eq!(t.f64_column("t").unwrap()[2], Some(2.0));
        assert_eq!(t.i64_column("sample").unwrap(), [0, 1, 2]);
        assert_eq!(
            t.f64_values("sample").unwrap(),
            [Some(0.0), Some(1.0), Some(2.0)]
        );
        assert_eq!(t.utf8_column("condition").unwrap()[1], None);
    }

    #[test]
    fn pushing_an_existing_name_replaces_in_place() {
        let mut t = sample();
        t.push_f64("condition", vec![None; 3]);
        assert_eq!(t.column_names(), ["t", "condition", "sample"]);
        assert!(matches!(t.column("condition"), Some(Column::F64(_))));
    }

    #[test]
    #[should_panic(expected = "column 'u' has 2 rows")]
    fn unequal_lengths_are_a_bug() {
        sample().push_f64("u", vec![None; 2]);
    }

    #[test]
    fn missing_columns_are_all_named() {
        let err = sample().require_columns(&["t", "u", "v"]).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("'u', 'v'"), "{msg}");
        assert!(
            msg.contains("<table>") && msg.contains("t, condition, sample"),
            "{msg}"
        );
        assert!(err.is_input_error());
    }

    #[test]
    fn wrong_type_names_the_column() {
        let msg = sample().f64_column("condition").unwrap_err().to_string();
        assert!(
            msg.contains("'condition' holds text, expected numbers"),
            "{msg}"
        );
    }

    #[test]
    fn unknown_columns_are_listed_in_order() {
        assert_eq!(sample().unknown_columns(&["t"]), ["condition", "sample"]);
    }

    #[test]
    fn rows_of_one_condition_without_the_column() {
        let t = sample().rows_of_condition("a").unwrap();
        assert_eq!(t.column_names(), ["t", "sample"]);
        assert_eq!(t.f64_column("t").unwrap(), [Some(0.0), Some(2.0)]);
        assert_eq!(t.i64_column("sample").unwrap(), [0, 2]);
    }

    #[test]
    fn an_absent_condition_lists_the_present_ones() {
        let msg = sample().rows_of_condition("c").unwrap_err().to_string();
        assert!(
            msg.contains("no row has condition 'c'; the table has a"),
            "{msg}"
        );
    }
}
