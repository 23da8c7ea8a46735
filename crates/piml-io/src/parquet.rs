//! Tables as Parquet files, through the arrow reader and writer of the
//! `parquet` crate.
//!
//! Written files use plain types only (Float64, Int64, Utf8), zstd level 3,
//! row groups of 2^20 rows, and keep the metadata as file-level key–values,
//! so pyarrow, pandas, polars and DuckDB open them unchanged. No embedded
//! Arrow schema and no timestamps: the same table always gives the same bytes.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Arc;

use ::parquet::arrow::ArrowWriter;
use ::parquet::arrow::arrow_reader::{ArrowReaderOptions, ParquetRecordBatchReaderBuilder};
use ::parquet::arrow::arrow_writer::ArrowWriterOptions;
use ::parquet::basic::{Compression, ZstdLevel};
use ::parquet::errors::ParquetError;
use ::parquet::file::metadata::KeyValue;
use ::parquet::file::properties::WriterProperties;
use ::parquet::file::reader::ChunkReader;
use ::parquet::schema::types::ColumnPath;
use arrow_array::cast::AsArray;
use arrow_array::types::{
    ArrowPrimitiveType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow_array::{Array, ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema, SchemaRef};

use crate::error::{Error, Result};
use crate::table::{Column, Table, first_duplicate};

/// The first four bytes (and the last four) of every Parquet file.
pub(crate) const MAGIC: &[u8; 4] = b"PAR1";

/// Rows per row group: large enough for fast scans, small enough that a
/// reader need not hold a whole multi-million-row column at once.
const ROW_GROUP_ROWS: usize = 1 << 20;

/// Rows converted between our columns and Arrow arrays at a time.
const BATCH_ROWS: usize = 1 << 16;

/// zstd level: level 3 compresses floats about as well as level 9, far faster.
const ZSTD_LEVEL: i32 = 3;

/// Only metadata keys with this prefix are kept on read: other writers'
/// keys (pandas' index description, an embedded Arrow schema) would be
/// stale once the table is changed and written again.
const METADATA_PREFIX: &str = "piml.";

/// Writes the table as Parquet.
///
/// Returns `io::Error` so that the kind of a failed write (a closed pipe,
/// a full disk) reaches the tool intact.
pub(crate) fn write_parquet<W: Write + Send>(out: W, table: &Table) -> io::Result<()> {
    let schema: SchemaRef = Arc::new(Schema::new(
        table
            .columns()
            .map(|(name, column)| arrow_field(name, column))
            .collect::<Vec<_>>(),
    ));
    let metadata = table
        .metadata()
        .iter()
        .map(|(k, v)| KeyValue::new(k.clone(), v.clone()))
        .collect();
    let level = ZstdLevel::try_new(ZSTD_LEVEL).map_err(io::Error::other)?;
    // Dictionaries pay off for text and integers (a few condition names,
    // sample ids repeated over a trajectory); measured floats rarely repeat,
    // and with dictionaries on for them a 2M-row table wrote ~30% slower and
    // came out larger.
    let mut props = WriterProperties::builder()
        .set_compression(Compression::ZSTD(level))
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_key_value_metadata(Some(metadata));
    for (name, column) in table.columns() {
        if !matches!(column, Column::F64(_)) {
            props = props.set_column_dictionary_enabled(ColumnPath::from(name), true);
        }
    }
    let options = ArrowWriterOptions::new()
        .with_properties(props.build())
        .with_skip_arrow_metadata(true);
    let mut writer =
        ArrowWriter::try_new_with_options(out, Arc::clone(&schema), options).map_err(into_io)?;
    let rows = table.n_rows();
    for start in (0..rows).step_by(BATCH_ROWS) {
        let end = rows.min(start + BATCH_ROWS);
        let arrays = table
            .columns()
            .map(|(_, column)| arrow_array(column, start, end))
            .collect();
        let batch = RecordBatch::try_new(Arc::clone(&schema), arrays).map_err(io::Error::other)?;
        writer.write(&batch).map_err(into_io)?;
    }
    writer.close().map_err(into_io)?;
    Ok(())
}

/// Reads a whole Parquet file into a table; `file` names it in errors.
///
/// Numeric columns of any width become numbers, except `sample` and
/// `replicate`, which must be integers; `condition` and `set` must be text.
/// Other text columns are kept as text (tools warn about them as unknown).
pub(crate) fn read_parquet<R: ChunkReader + 'static>(source: R, file: &Path) -> Result<Table> {
    let parquet_error = |source: ParquetError| Error::Parquet {
        file: file.to_path_buf(),
        source,
    };
    // The embedded Arrow schema of other writers may ask for dictionaries or
    // large strings; the Parquet schema alone gives plain types.
    let options = ArrowReaderOptions::new().with_skip_arrow_metadata(true);
    let builder = ParquetRecordBatchReaderBuilder::try_new_with_options(source, options)
        .map_err(parquet_error)?;
    let file_metadata = builder.metadata().file_metadata();
    let metadata: BTreeMap<String, String> = file_metadata
        .key_value_metadata()
        .into_iter()
        .flatten()
        .filter(|kv| kv.key.starts_with(METADATA_PREFIX))
        .map(|kv| (kv.key.clone(), kv.value.clone().unwrap_or_default()))
        .collect();
    let rows = usize::try_from(file_metadata.num_rows()).unwrap_or(0);
    let fields = builder.schema().fields().clone();
    if let Some(column) = first_duplicate(fields.iter().map(|f| f.name().as_str())) {
        return Err(Error::DuplicateColumn {
            file: file.to_path_buf(),
            column: column.to_string(),
        });
    }
    let mut columns: Vec<Column> = fields
        .iter()
        .map(|f| {
            let text = matches!(
                f.data_type(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            );
            Column::for_role(f.name(), text, rows)
        })
        .collect();

    let reader = builder
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(parquet_error)?;
    let mut first_row = 0;
    for batch in reader {
        let batch = batch.map_err(|e| parquet_error(e.into()))?;
        for ((field, column), array) in fields.iter().zip(&mut columns).zip(batch.columns()) {
            let at = Place {
                file,
                column: field.name(),
                first_row,
            };
            append(column, array, &at)?;
        }
        first_row += batch.num_rows();
    }

    let mut table = Table::new();
    for (field, column) in fields.iter().zip(columns) {
        table.push(field.name(), column);
    }
    table.set_metadata(metadata);
    table.set_source(file);
    Ok(table)
}

fn arrow_field(name: &str, column: &Column) -> Field {
    match column {
        Column::F64(_) => Field::new(name, DataType::Float64, true),
        Column::Utf8(_) => Field::new(name, DataType::Utf8, true),
        Column::I64(_) => Field::new(name, DataType::Int64, false),
    }
}

fn arrow_array(column: &Column, start: usize, end: usize) -> ArrayRef {
    match column {
        Column::F64(v) => Arc::new(Float64Array::from_iter(&v[start..end])),
        Column::Utf8(v) => Arc::new(StringArray::from_iter(
            v[start..end].iter().map(Option::as_deref),
        )),
        Column::I64(v) => Arc::new(Int64Array::from_iter_values(v[start..end].iter().copied())),
    }
}

/// Where a batch's values go, for error messages.
struct Place<'a> {
    file: &'a Path,
    column: &'a str,
    first_row: usize,
}

impl Place<'_> {
    fn unsupported(&self, data_type: &DataType, expected: &'static str) -> Error {
        Error::UnsupportedType {
            file: self.file.to_path_buf(),
            column: self.column.to_string(),
            found: data_type.to_string(),
            expected,
        }
    }
}

fn append(column: &mut Column, array: &ArrayRef, at: &Place) -> Result<()> {
    let dt = array.data_type();
    match column {
        Column::F64(out) => match dt {
            DataType::Float64 => extend_f64::<Float64Type>(out, array, |v| v),
            DataType::Float32 => extend_f64::<Float32Type>(out, array, f64::from),
            DataType::Int8 => extend_f64::<Int8Type>(out, array, f64::from),
            DataType::Int16 => extend_f64::<Int16Type>(out, array, f64::from),
            DataType::Int32 => extend_f64::<Int32Type>(out, array, f64::from),
            DataType::Int64 => extend_f64::<Int64Type>(out, array, |v| v as f64),
            DataType::UInt8 => extend_f64::<UInt8Type>(out, array, f64::from),
            DataType::UInt16 => extend_f64::<UInt16Type>(out, array, f64::from),
            DataType::UInt32 => extend_f64::<UInt32Type>(out, array, f64::from),
            DataType::UInt64 => extend_f64::<UInt64Type>(out, array, |v| v as f64),
            DataType::Null => out.extend(std::iter::repeat_n(None, array.len())),
            _ => return Err(at.unsupported(dt, "numbers, integers or text")),
        },
        Column::Utf8(out) => match dt {
            DataType::Utf8 => out.extend(array.as_string::<i32>().iter().map(owned)),
            DataType::LargeUtf8 => out.extend(array.as_string::<i64>().iter().map(owned)),
            DataType::Utf8View => out.extend(array.as_string_view().iter().map(owned)),
            DataType::Null => out.extend(std::iter::repeat_n(None, array.len())),
            _ => return Err(at.unsupported(dt, "text in this column")),
        },
        Column::I64(out) => match dt {
            DataType::Int8 => extend_i64::<Int8Type>(out, array, at)?,
            DataType::Int16 => extend_i64::<Int16Type>(out, array, at)?,
            DataType::Int32 => extend_i64::<Int32Type>(out, array, at)?,
            DataType::Int64 => extend_i64::<Int64Type>(out, array, at)?,
            DataType::UInt8 => extend_i64::<UInt8Type>(out, array, at)?,
            DataType::UInt16 => extend_i64::<UInt16Type>(out, array, at)?,
            DataType::UInt32 => extend_i64::<UInt32Type>(out, array, at)?,
            DataType::UInt64 => extend_i64::<UInt64Type>(out, array, at)?,
            _ => return Err(at.unsupported(dt, "integers in this column")),
        },
    }
    Ok(())
}

fn owned(s: Option<&str>) -> Option<String> {
    s.map(str::to_owned)
}

fn extend_f64<T: ArrowPrimitiveType>(
    out: &mut Vec<Option<f64>>,
    array: &ArrayRef,
    widen: impl Fn(T::Native) -> f64,
) {
    let values = array.as_primitive::<T>();
    if values.null_count() == 0 {
        out.extend(values.values().iter().map(|&v| Some(widen(v))));
    } else {
        out.extend(values.iter().map(|v| v.map(&widen)));
    }
}

fn extend_i64<T: ArrowPrimitiveType>(out: &mut Vec<i64>, array: &ArrayRef, at: &Place) -> Result<()>
where
    i64: TryFrom<T::Native>,
{
    for (i, value) in array.as_primitive::<T>().iter().enumerate() {
        let problem = match value {
            None => "null; integer columns need a value in every row".to_string(),
            Some(v) => match i64::try_from(v) {
                Ok(v) => {
                    out.push(v);
                    continue;
                }
                Err(_) => format!("{v:?} is too large for a 64-bit integer"),
            },
        };
        return Err(Error::Value {
            file: at.file.to_path_buf(),
            row: (at.first_row + i + 1) as u64,
            column: at.column.to_string(),
            problem,
        });
    }
    Ok(())
}

/// Turns a Parquet error into an `io::Error`, unwrapping the I/O error the
/// writer met (so `BrokenPipe` stays `BrokenPipe`).
fn into_io(err: ParquetError) -> io::Error {
    match err {
        ParquetError::External(inner) => match inner.downcast::<io::Error>() {
            Ok(io) => *io,
            Err(other) => io::Error::other(other),
        },
        other => io::Error::other(other),
    }
}
