//! Hồ sơ (dossier) and phông (fonds): the hierarchy records are filed in,
//! after NĐ 30/2020 Phụ lục VI Mục III (11 dossier fields) and TT 05/2025.
//!
//! Retention is kept on the dossier and counted from the year its work ended.

use std::collections::BTreeMap;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use time::Date;

use crate::agency::AgencyCode;
use crate::metadata::{canonical_extra, canonical_text, lookup_label, vocabulary_code};
use crate::validation::{Problem, Problems, check_len, check_not_future};
use crate::vocabulary::VocabularyName;

/// Whether a dossier is still being filled.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DossierStatus {
    /// Đang mở: records may be added.
    #[default]
    Open,
    /// Đã kết thúc: closed; the year its work ended is set.
    Closed,
}

/// Hồ sơ: a dossier.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Dossier {
    /// Số và ký hiệu hồ sơ (FileNotation, ≤ 20), from the dossier list.
    pub code: String,
    /// Mã định danh của cơ quan lập danh mục hồ sơ (OrganId).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organ_id: Option<String>,
    /// Năm hình thành hồ sơ (FileCatalog, Number 4).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_formed: Option<i32>,
    /// Tiêu đề hồ sơ (Title, ≤ 500).
    pub title: String,
    /// Mã phông: code of the fonds the dossier belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fonds: Option<String>,
    /// Thời hạn bảo quản (Maintenance, ≤ 30): a retention class code such as
    /// `permanent` or `10y`, or the text of the retention table.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<String>,
    /// Chế độ sử dụng (Rights, ≤ 30); no value list is set by the decree.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<String>,
    /// Người lập hồ sơ (Creator, ≤ 30).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub creator: Option<String>,
    /// Ngôn ngữ: code of the `language` vocabulary (≤ 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Thời gian bắt đầu (StartDate), `YYYY-MM-DD`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::option_iso"
    )]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub start_date: Option<Date>,
    /// Thời gian kết thúc (EndDate), `YYYY-MM-DD`.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        with = "crate::dates::option_iso"
    )]
    #[schemars(with = "Option<String>", extend("format" = "date"))]
    pub end_date: Option<Date>,
    /// Năm kết thúc công việc: retention is counted from this year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year_work_ended: Option<i32>,
    /// Ghi chú (Description, ≤ 500).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Trạng thái: open or closed.
    #[serde(default)]
    pub status: DossierStatus,
    /// Other fields, kept as given.
    #[serde(flatten)]
    pub extra: BTreeMap<String, serde_json::Value>,
}

const DOSSIER_LABELS: &[(&str, &str)] = &[
    ("code", "số và ký hiệu hồ sơ"),
    ("organ_id", "mã định danh của cơ quan lập danh mục hồ sơ"),
    ("year_formed", "năm hình thành hồ sơ"),
    ("title", "tiêu đề hồ sơ"),
    ("fonds", "mã phông"),
    ("retention", "thời hạn bảo quản"),
    ("rights", "chế độ sử dụng"),
    ("creator", "người lập hồ sơ"),
    ("language", "ngôn ngữ"),
    ("start_date", "thời gian bắt đầu"),
    ("end_date", "thời gian kết thúc"),
    ("year_work_ended", "năm kết thúc công việc"),
    ("note", "ghi chú"),
    ("status", "trạng thái hồ sơ"),
];

impl Dossier {
    /// A new open dossier.
    pub fn new(code: impl Into<String>, title: impl Into<String>) -> Self {
        Dossier {
            code: code.into(),
            organ_id: None,
            year_formed: None,
            title: title.into(),
            fonds: None,
            retention: None,
            rights: None,
            creator: None,
            language: None,
            start_date: None,
            end_date: None,
            year_work_ended: None,
            note: None,
            status: DossierStatus::Open,
            extra: BTreeMap::new(),
        }
    }

    /// The Vietnamese label of a field path.
    pub fn label_vi(path: &str) -> Option<&'static str> {
        lookup_label(DOSSIER_LABELS, path)
    }

    /// All field paths with a Vietnamese label.
    pub fn labelled_paths() -> impl Iterator<Item = (&'static str, &'static str)> {
        DOSSIER_LABELS.iter().copied()
    }

    /// Stored form: canonical trimmed text, language labels as codes.
    pub fn normalized(&self) -> Dossier {
        let mut d = self.clone();
        d.code = vietnamese::canonicalize(d.code.trim());
        d.title = vietnamese::canonicalize(d.title.trim());
        for text in [
            &mut d.organ_id,
            &mut d.fonds,
            &mut d.retention,
            &mut d.rights,
            &mut d.creator,
            &mut d.note,
        ] {
            canonical_text(text);
        }
        vocabulary_code(&mut d.language, VocabularyName::Language);
        d.extra = canonical_extra(std::mem::take(&mut d.extra));
        d
    }

    /// Closes the dossier on `end_date`: its year becomes the year the work
    /// ended, from which retention counts. Every problem of the closed
    /// dossier is reported.
    pub fn close(&self, end_date: Date, today: Date) -> Result<Dossier, Problems> {
        let mut closed = self.clone();
        closed.status = DossierStatus::Closed;
        closed.end_date = Some(end_date);
        closed.year_work_ended = Some(end_date.year());
        let problems = closed.validate(today);
        if problems.is_empty() {
            Ok(closed)
        } else {
            Err(Problems(problems))
        }
    }

    /// Every problem of the dossier at once.
    pub fn validate(&self, today: Date) -> Vec<Problem> {
        let mut p = Vec::new();
        let label = |path: &str| Dossier::label_vi(path).unwrap_or("");
        let problem = |path: &str, rule: &'static str, message: String| {
            Problem::new(path, rule, label(path), message)
        };
        if self.code.trim().is_empty() {
            p.push(problem("code", "required", "is missing".into()));
        }
        if self.title.trim().is_empty() {
            p.push(problem("title", "required", "is missing".into()));
        }
        check_len(&mut p, "code", label("code"), Some(&self.code), 20);
        check_len(&mut p, "title", label("title"), Some(&self.title), 500);
        for (path, value, max) in [
            ("retention", &self.retention, 30),
            ("rights", &self.rights, 30),
            ("creator", &self.creator, 30),
            ("language", &self.language, 50),
            ("note", &self.note, 500),
        ] {
            check_len(&mut p, path, label(path), value.as_deref(), max);
        }
        if let Some(code) = &self.organ_id
            && let Err(e) = AgencyCode::parse(code)
        {
            p.push(problem("organ_id", "agency_code", e.to_string()));
        }
        if let Some(year) = self.year_formed
            && !(1000..=9999).contains(&year)
        {
            p.push(problem(
                "year_formed",
                "four_digit_year",
                format!("must be a four-digit year, got {year}"),
            ));
        }
        for (path, date) in [("start_date", self.start_date), ("end_date", self.end_date)] {
            check_not_future(&mut p, path, label(path), date, today);
        }
        if let (Some(start), Some(end)) = (self.start_date, self.end_date)
            && end < start
        {
            p.push(problem(
                "end_date",
                "not_before_start_date",
                format!("is before the start date {start}"),
            ));
        }
        match (self.status, self.year_work_ended) {
            (DossierStatus::Closed, None) => p.push(problem(
                "year_work_ended",
                "required_when_closed",
                "is missing: a closed dossier records the year its work ended".into(),
            )),
            (DossierStatus::Open, Some(_)) => p.push(problem(
                "year_work_ended",
                "set_on_close",
                "is set on an open dossier: it is set when the dossier is closed".into(),
            )),
            _ => {}
        }
        if let (Some(year), Some(end)) = (self.year_work_ended, self.end_date)
            && year != end.year()
        {
            p.push(problem(
                "year_work_ended",
                "matches_end_date",
                format!("is {year} but the end date is in {}", end.year()),
            ));
        }
        if let Some(year) = self.year_work_ended
            && year > today.year()
        {
            p.push(problem(
                "year_work_ended",
                "not_in_future",
                format!("{year} is in the future"),
            ));
        }
        p
    }
}

/// Trạng thái phông: open or closed fonds (TT 05/2025, from a news summary).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum FondsStatus {
    /// Mở: the creating body still produces records.
    #[default]
    #[serde(alias = "mo")]
    Open,
    /// Đóng: closed fonds.
    #[serde(alias = "dong")]
    Closed,
}

/// Phông lưu trữ: the fonds (also công trình, sưu tập).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Fonds {
    /// Mã phông.
    pub code: String,
    /// Tên phông.
    pub name: String,
    /// Trạng thái: open or closed.
    #[serde(default)]
    pub status: FondsStatus,
    /// Lịch sử đơn vị hình thành phông.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub history: Option<String>,
    /// Thời gian tài liệu: first year of the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_year: Option<i32>,
    /// Thời gian tài liệu: last year of the records.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_year: Option<i32>,
    /// Ngôn ngữ: code of the `language` vocabulary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Ghi chú.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

const FONDS_LABELS: &[(&str, &str)] = &[
    ("code", "mã phông"),
    ("name", "tên phông"),
    ("status", "trạng thái phông"),
    ("history", "lịch sử đơn vị hình thành phông"),
    ("start_year", "thời gian tài liệu, năm bắt đầu"),
    ("end_year", "thời gian tài liệu, năm kết thúc"),
    ("language", "ngôn ngữ"),
    ("note", "ghi chú"),
];

impl Fonds {
    /// The Vietnamese label of a field path.
    pub fn label_vi(path: &str) -> Option<&'static str> {
        lookup_label(FONDS_LABELS, path)
    }

    /// Every problem of the fonds at once.
    pub fn validate(&self) -> Vec<Problem> {
        let mut p = Vec::new();
        let label = |path: &str| Fonds::label_vi(path).unwrap_or("");
        for (path, value) in [("code", &self.code), ("name", &self.name)] {
            if value.trim().is_empty() {
                p.push(Problem::new(path, "required", label(path), "is missing"));
            }
        }
        if let (Some(start), Some(end)) = (self.start_year, self.end_year)
            && end < start
        {
            p.push(Problem::new(
                "end_year",
                "not_before_start_year",
                label("end_year"),
                format!("{end} is before the first year {start}"),
            ));
        }
        p
    }
}
