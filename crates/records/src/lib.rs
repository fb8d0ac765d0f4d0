//! Records model of Vietnamese records law, pure (no I/O).
//!
//! - [`RecordMetadata`], [`Dossier`], [`Fonds`]: the metadata of a record
//!   (văn bản đi / đến / nội bộ), a dossier (hồ sơ) and a fonds (phông),
//!   after Nghị định 30/2020/NĐ-CP Phụ lục VI and Thông tư 05/2025/TT-BNV.
//!   Serde names are stable snake_case English; `label_vi` gives the
//!   Vietnamese label of every field.
//! - [`DocNumber`]: số, ký hiệu parsed into number, year, type, issuer, unit
//!   and a normalised [`DocNumberKey`].
//! - [`AgencyCode`] and [`AgencyAliases`]: opaque agency codes and the table
//!   that maps old and renumbered codes to one agency.
//! - Validation that reports every [`Problem`] at once and a distinct
//!   [`Refusal`] for secret documents; [`parse_deposit_json`] for the JSON
//!   entry path.
//! - [`diff()`] for metadata-change events; [`register`] for CSV registers
//!   (sổ đăng ký văn bản đi / đến); [`edxml`] for QCVN 102:2016 envelopes;
//!   [`deposit_schema`] for the JSON Schema of deposit metadata.
//!
//! Controlled vocabularies and document types come from the reference tables
//! embedded from `data/` ([`Vocabularies`], [`DocTypes`]); rows not marked
//! `verified` are data, not law.

pub mod agency;
pub mod dates;
pub mod diff;
pub mod doc_number;
pub mod dossier;
pub mod edxml;
pub mod metadata;
pub mod register;
mod table;
pub mod validation;
pub mod vocabulary;

pub use agency::{
    AgencyAlias, AgencyAliases, AgencyCode, AgencyCodeError, AgencyCodeForm, AgencyId,
};
pub use diff::{FieldChange, diff};
pub use doc_number::{DocNumber, DocNumberError, DocNumberKey};
pub use dossier::{Dossier, DossierStatus, Fonds, FondsStatus};
pub use metadata::{Recipient, RecordKind, RecordMetadata, Signer, SystemFields};
pub use table::TableError;
pub use validation::{DepositError, Problem, Problems, Refusal, SecretLevel, parse_deposit_json};
pub use vocabulary::{
    DocTypeEntry, DocTypeKind, DocTypes, Status, Vocabularies, VocabularyEntry, VocabularyName,
    table_errors,
};

/// The JSON Schema of deposit metadata ([`RecordMetadata`]), as checked in at
/// `schema/record-metadata.schema.json`.
pub fn deposit_schema() -> serde_json::Value {
    serde_json::to_value(schemars::schema_for!(RecordMetadata)).unwrap_or_default()
}
