//! Agency identifier codes (mã định danh điện tử) and the alias table that
//! lets old and renumbered codes find the same agency.
//!
//! Codes are stored exactly as received (no case change), as opaque strings of
//! at most 35 characters. Their form is classified for information only
//! (QĐ 20/2020 left-to-right, QCVN 102:2016 right-to-left, or unknown); no
//! hierarchy or agency name is derived from a code's shape.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use time::Date;

use crate::table::{TableError, Tsv};

/// Longest agency code (QĐ 20/2020/QĐ-TTg).
pub const MAX_AGENCY_CODE_LEN: usize = 35;

/// Why a text cannot be stored as an agency code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AgencyCodeError {
    /// The code is empty.
    #[error("agency code is empty")]
    Empty,
    /// The code is longer than 35 characters.
    #[error("agency code has {length} characters, at most 35 are allowed")]
    TooLong {
        /// Number of characters of the input.
        length: usize,
    },
    /// The code contains a character outside the allowed set.
    #[error(
        "agency code contains {character:?}: only ASCII letters, digits, `.` and `-` are allowed"
    )]
    Charset {
        /// The first character not allowed.
        character: char,
    },
}

/// The form of an agency code, for information (validation is advisory).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AgencyCodeForm {
    /// QĐ 20/2020/QĐ-TTg: level-1 group first, e.g. `H49.64.33`.
    Qd20,
    /// QCVN 102:2016: four groups, level 1 last, e.g. `000.00.00.H41`.
    Qcvn102,
    /// Neither form (test codes, registration numbers, lower case …).
    Unknown,
}

/// An agency identifier code, stored exactly as received.
///
/// Allowed: 1–35 ASCII letters (either case, never changed), digits, `.` and
/// `-` (registration numbers of branches use hyphens). Spaces and any other
/// character are refused.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AgencyCode(String);

impl AgencyCode {
    /// Checks the length and the character set; the text is kept as is.
    pub fn parse(text: &str) -> Result<AgencyCode, AgencyCodeError> {
        if text.is_empty() {
            return Err(AgencyCodeError::Empty);
        }
        let length = text.chars().count();
        if length > MAX_AGENCY_CODE_LEN {
            return Err(AgencyCodeError::TooLong { length });
        }
        if let Some(character) = text
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || *c == '.' || *c == '-'))
        {
            return Err(AgencyCodeError::Charset { character });
        }
        Ok(AgencyCode(text.to_owned()))
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Classifies the code: `^[A-Y][0-9]{2}(\.[0-9A-Z]+)*$` is the QĐ 20
    /// form, `^[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}$` the QCVN 102 form.
    pub fn form(&self) -> AgencyCodeForm {
        let groups: Vec<&str> = self.0.split('.').collect();
        let level1 = |g: &str, letters: std::ops::RangeInclusive<u8>| {
            let b = g.as_bytes();
            b.len() == 3
                && letters.contains(&b[0])
                && b[1].is_ascii_digit()
                && b[2].is_ascii_digit()
        };
        let digits = |g: &str, n: usize| g.len() == n && g.bytes().all(|b| b.is_ascii_digit());
        if let [a, b, c, d] = groups.as_slice()
            && digits(a, 3)
            && digits(b, 2)
            && digits(c, 2)
            && level1(d, b'A'..=b'Z')
        {
            return AgencyCodeForm::Qcvn102;
        }
        let lower_group = |g: &&str| {
            !g.is_empty()
                && g.bytes()
                    .all(|b| b.is_ascii_digit() || b.is_ascii_uppercase())
        };
        match groups.split_first() {
            Some((first, rest)) if level1(first, b'A'..=b'Y') && rest.iter().all(lower_group) => {
                AgencyCodeForm::Qd20
            }
            _ => AgencyCodeForm::Unknown,
        }
    }

    /// The level-1 group (`H49` in `H49.64.33`, `H41` in `000.00.00.H41`),
    /// for codes of a known form.
    pub fn level1(&self) -> Option<&str> {
        match self.form() {
            AgencyCodeForm::Qd20 => self.0.split('.').next(),
            AgencyCodeForm::Qcvn102 => self.0.rsplit('.').next(),
            AgencyCodeForm::Unknown => None,
        }
    }
}

impl TryFrom<String> for AgencyCode {
    type Error = AgencyCodeError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        AgencyCode::parse(&text)
    }
}

impl From<AgencyCode> for String {
    fn from(code: AgencyCode) -> String {
        code.0
    }
}

impl fmt::Display for AgencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Kho's own identifier of an agency, shared by all its codes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AgencyId(String);

impl AgencyId {
    /// Wraps an identifier.
    pub fn new(id: impl Into<String>) -> Self {
        AgencyId(id.into())
    }

    /// The identifier as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AgencyId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One row of the alias table: a code that identified an agency for a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgencyAlias {
    /// The code, as used in documents.
    pub code: AgencyCode,
    /// Form noted by whoever filled the table (`qd20`, `qcvn102`, free text).
    pub form: Option<String>,
    /// The agency the code identifies.
    pub agency: AgencyId,
    /// First day the code was valid, if known.
    pub valid_from: Option<Date>,
    /// Last day the code was valid; `None` while it is current.
    pub valid_to: Option<Date>,
    /// Where the row comes from.
    pub source: Option<String>,
}

impl AgencyAlias {
    fn valid_on(&self, day: Date) -> bool {
        self.valid_from.is_none_or(|from| from <= day) && self.valid_to.is_none_or(|to| day <= to)
    }
}

/// Why an alias table cannot be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AliasTableError {
    /// A row could not be read.
    #[error(transparent)]
    Row(#[from] TableError),
    /// One code points at two agencies over overlapping periods.
    #[error("agency code {code} is given to both {first} and {second} over overlapping periods")]
    Conflict {
        /// The code.
        code: String,
        /// The agency of the earlier row.
        first: AgencyId,
        /// The agency of the later row.
        second: AgencyId,
    },
}

/// The alias table: old, renumbered and current codes of each agency.
///
/// Loaded from TSV with the header
/// `code  form  agency_id  valid_from  valid_to  source` (dates as
/// `YYYY-MM-DD`, empty cells allowed except `code` and `agency_id`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AgencyAliases {
    aliases: Vec<AgencyAlias>,
    by_code: BTreeMap<String, Vec<usize>>,
}

impl AgencyAliases {
    /// An empty table.
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads a table; every bad row is an error (the first one is returned).
    pub fn from_tsv(text: &str) -> Result<Self, AliasTableError> {
        let mut errors = Vec::new();
        let tsv = Tsv::parse("agency_aliases.tsv", text, &mut errors);
        if let Some(error) = errors.into_iter().next() {
            return Err(error.into());
        }
        let mut table = AgencyAliases::new();
        for row in tsv.rows() {
            let code = row.get("code")?;
            let code = AgencyCode::parse(code).map_err(|e| row.error(e.to_string()))?;
            let agency = row
                .opt("agency_id")?
                .ok_or_else(|| row.error("empty agency_id"))?;
            let date = |column: &str| -> Result<Option<Date>, TableError> {
                row.opt(column)?
                    .map(|d| {
                        crate::dates::parse_iso(d).map_err(|e| row.error(format!("{column}: {e}")))
                    })
                    .transpose()
            };
            table.add(AgencyAlias {
                code,
                form: row.opt("form")?.map(str::to_owned),
                agency: AgencyId::new(agency),
                valid_from: date("valid_from")?,
                valid_to: date("valid_to")?,
                source: row.opt("source")?.map(str::to_owned),
            })?;
        }
        Ok(table)
    }

    /// Adds a row, refusing a code given to two agencies at the same time.
    pub fn add(&mut self, alias: AgencyAlias) -> Result<(), AliasTableError> {
        let rows = self.by_code.entry(alias.code.0.clone()).or_default();
        for &i in rows.iter() {
            let other = &self.aliases[i];
            let overlap = other
                .valid_from
                .is_none_or(|f| alias.valid_to.is_none_or(|t| f <= t))
                && alias
                    .valid_from
                    .is_none_or(|f| other.valid_to.is_none_or(|t| f <= t));
            if overlap && other.agency != alias.agency {
                return Err(AliasTableError::Conflict {
                    code: alias.code.0.clone(),
                    first: other.agency.clone(),
                    second: alias.agency.clone(),
                });
            }
        }
        rows.push(self.aliases.len());
        self.aliases.push(alias);
        Ok(())
    }

    /// The agency a code identifies; with `on`, only a row valid that day.
    pub fn agency_of(&self, code: &AgencyCode, on: Option<Date>) -> Option<&AgencyId> {
        self.by_code
            .get(code.as_str())?
            .iter()
            .map(|&i| &self.aliases[i])
            .find(|a| on.is_none_or(|day| a.valid_on(day)))
            .map(|a| &a.agency)
    }

    /// All codes of an agency, in table order.
    pub fn codes_of(&self, agency: &AgencyId) -> Vec<&AgencyCode> {
        self.aliases
            .iter()
            .filter(|a| &a.agency == agency)
            .map(|a| &a.code)
            .collect()
    }

    /// The canonical (current) code of the agency a code identifies: the row
    /// of that agency without an end date, else the one that ended last.
    pub fn canonical(&self, code: &AgencyCode) -> Option<&AgencyCode> {
        let agency = self.agency_of(code, None)?;
        self.aliases
            .iter()
            .filter(|a| &a.agency == agency)
            .max_by_key(|a| (a.valid_to.is_none(), a.valid_to))
            .map(|a| &a.code)
    }

    /// Whether two codes identify the same agency (a code always matches
    /// itself, even when absent from the table).
    pub fn same_agency(&self, a: &AgencyCode, b: &AgencyCode) -> bool {
        a == b
            || matches!(
                (self.agency_of(a, None), self.agency_of(b, None)),
                (Some(x), Some(y)) if x == y
            )
    }

    /// All rows.
    pub fn aliases(&self) -> &[AgencyAlias] {
        &self.aliases
    }
}
