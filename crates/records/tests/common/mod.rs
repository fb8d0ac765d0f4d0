//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::collections::HashMap;

/// Rows of a reference TSV as maps from header name to cell.
pub fn tsv_rows(text: &str) -> Vec<HashMap<String, String>> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    lines
        .filter(|l| !l.is_empty())
        .map(|line| {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), header.len(), "row {line:?}");
            header
                .iter()
                .zip(cells)
                .map(|(h, c)| (h.to_string(), c.to_string()))
                .collect()
        })
        .collect()
}

/// Decodes a JSON string body (`input_escaped` columns).
pub fn unescape(escaped: &str) -> String {
    serde_json::from_str(&format!("\"{escaped}\"")).expect("valid JSON string body")
}

/// A fixed "today" for tests.
pub fn today() -> time::Date {
    time::macros::date!(2026 - 06 - 30)
}
