//! Reading the embedded reference tables (TSV: one header line, tab-separated,
//! no quoting, empty cell = no value).

use std::collections::HashMap;

/// A row of a reference table that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{table} line {line}: {message}")]
pub struct TableError {
    /// File name of the table, e.g. `vocabularies.tsv`.
    pub table: &'static str,
    /// One-based line number in the file (the header is line 1).
    pub line: usize,
    /// What is wrong with the row.
    pub message: String,
}

/// A parsed TSV table whose cells are looked up by header name.
pub(crate) struct Tsv<'a> {
    name: &'static str,
    columns: HashMap<&'a str, usize>,
    rows: Vec<(usize, Vec<&'a str>)>,
}

/// One row of a [`Tsv`], with its line number for error messages.
pub(crate) struct TsvRow<'t, 'a> {
    table: &'t Tsv<'a>,
    line: usize,
    cells: &'t [&'a str],
}

impl<'a> Tsv<'a> {
    /// Splits `text` into rows; rows whose cell count differs from the header's
    /// are reported in `errors` and skipped.
    pub(crate) fn parse(name: &'static str, text: &'a str, errors: &mut Vec<TableError>) -> Self {
        let mut lines = text.lines().enumerate();
        let mut columns = HashMap::new();
        let mut width = 0;
        if let Some((_, header)) = lines.next() {
            for (i, column) in header.split('\t').enumerate() {
                columns.insert(column, i);
                width = i + 1;
            }
        }
        let mut rows = Vec::new();
        for (index, line) in lines {
            if line.is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split('\t').collect();
            if cells.len() != width {
                errors.push(TableError {
                    table: name,
                    line: index + 1,
                    message: format!("{} cells, the header has {width}", cells.len()),
                });
                continue;
            }
            rows.push((index + 1, cells));
        }
        Tsv {
            name,
            columns,
            rows,
        }
    }

    /// The rows in file order.
    pub(crate) fn rows(&self) -> impl Iterator<Item = TsvRow<'_, 'a>> {
        self.rows.iter().map(move |(line, cells)| TsvRow {
            table: self,
            line: *line,
            cells,
        })
    }
}

impl<'a> TsvRow<'_, 'a> {
    /// The cell under `column`; a missing column is an error of the row.
    pub(crate) fn get(&self, column: &str) -> Result<&'a str, TableError> {
        self.table
            .columns
            .get(column)
            .and_then(|&i| self.cells.get(i).copied())
            .ok_or_else(|| self.error(format!("no column `{column}`")))
    }

    /// The cell under `column`, `None` when empty.
    pub(crate) fn opt(&self, column: &str) -> Result<Option<&'a str>, TableError> {
        Ok(Some(self.get(column)?).filter(|cell| !cell.is_empty()))
    }

    /// An error located at this row.
    pub(crate) fn error(&self, message: impl Into<String>) -> TableError {
        TableError {
            table: self.table.name,
            line: self.line,
            message: message.into(),
        }
    }
}
