//! The checked-in JSON Schema of deposit metadata matches the types.

use std::path::PathBuf;

#[test]
fn checked_in_schema_matches_the_types() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("schema/record-metadata.schema.json");
    let generated =
        serde_json::to_string_pretty(&records::deposit_schema()).expect("serialises") + "\n";
    if std::env::var_os("KHO_BLESS").is_some() {
        std::fs::write(&path, &generated).expect("writes the schema");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "{} differs from the schema generated from the types; regenerate it with\n  \
         KHO_BLESS=1 cargo test -p records --test schema\nand review the diff",
        path.display()
    );
}
