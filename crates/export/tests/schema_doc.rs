//! `docs/parquet-schema.md` documents every column of every table, with its type.

use export::table::TABLES;

#[test]
fn schema_document_lists_every_column_with_its_type() {
    let doc = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/parquet-schema.md"),
    )
    .expect("docs/parquet-schema.md");
    for t in TABLES {
        let section = doc
            .split(&format!("\n## {}\n", t.name))
            .nth(1)
            .unwrap_or_else(|| panic!("no section for table {}", t.name));
        let section = section.split("\n## ").next().unwrap_or("");
        for c in t.columns {
            let null = if c.nullable { "yes" } else { "no" };
            let row = format!("| {} | {} | {null} |", c.name, c.kind.doc_name());
            assert!(
                section.contains(&row),
                "table {}: the schema document lacks `{row}`",
                t.name
            );
        }
        let rows = section
            .lines()
            .filter(|l| l.starts_with("| ") && !l.starts_with("| column"))
            .count();
        assert_eq!(
            rows,
            t.columns.len(),
            "table {}: documented columns",
            t.name
        );
    }
}
