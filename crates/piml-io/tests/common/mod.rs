//! Tables shared by the integration tests.

use piml_io::{Provenance, Table};

/// A small table with every column kind, nulls, NaN-free values, text with
/// a comma and a quote, and the provenance metadata.
pub fn small_table() -> Table {
    let mut t = Table::new();
    t.push_f64("t", vec![Some(0.0), Some(0.5), Some(1e-300), Some(2.0)]);
    t.push_utf8(
        "condition",
        vec![
            Some("low, \"dense\"".into()),
            None,
            Some("high".into()),
            Some("high".into()),
        ],
    );
    t.push_i64("sample", vec![0, 1, -2, i64::MAX]);
    t.push_f64(
        "u",
        vec![Some(1.25), None, Some(-3.0e7), Some(f64::INFINITY)],
    );
    let provenance = Provenance {
        tool: "test".into(),
        version: "0.0.0".into(),
        command: vec!["test".into(), "--seed".into(), "3".into()],
        seed: Some(3),
    };
    t.set_metadata(provenance.table_metadata(r#"{"name": "mm"}"#));
    t
}
