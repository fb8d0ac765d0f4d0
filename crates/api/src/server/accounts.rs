//! Accounts, roles and tokens.
//!
//! Every account belongs to one person and has one role. Accounts and tokens are
//! journal events (`account.created`, `account.disabled`, `token.issued`,
//! `token.revoked`), so they are replayed at every start, backed up with the store
//! and part of the tamper-evident history. A token is 32 random bytes shown once;
//! the journal keeps only its SHA-256.

use std::collections::BTreeMap;

use archive_core::journal::{Event, Outcome};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::Digest;
use time::OffsetDateTime;

/// Event types of accounts.
pub mod event_types {
    /// An account was created.
    pub const ACCOUNT_CREATED: &str = "account.created";
    /// An account was disabled: its tokens stop working.
    pub const ACCOUNT_DISABLED: &str = "account.disabled";
    /// A token was issued to an account.
    pub const TOKEN_ISSUED: &str = "token.issued";
    /// A token was revoked.
    pub const TOKEN_REVOKED: &str = "token.revoked";
}
use event_types::*;

/// What an account may do (DESIGN §11).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Deposits records, corrects metadata, retrieves.
    Archivist,
    /// Searches and retrieves.
    Officer,
    /// Verifies integrity, reads the journal, exports and reports.
    Auditor,
    /// Runs and checks backups.
    Backup,
    /// Manages accounts, holds and approvals.
    Admin,
}

impl Role {
    /// Every role.
    pub const ALL: [Role; 5] = [
        Role::Archivist,
        Role::Officer,
        Role::Auditor,
        Role::Backup,
        Role::Admin,
    ];

    /// The name used in the API and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Archivist => "archivist",
            Role::Officer => "officer",
            Role::Auditor => "auditor",
            Role::Backup => "backup",
            Role::Admin => "admin",
        }
    }

    /// The Vietnamese name shown in the web UI.
    pub fn label_vi(self) -> &'static str {
        match self {
            Role::Archivist => "Văn thư lưu trữ",
            Role::Officer => "Cán bộ tra cứu",
            Role::Auditor => "Kiểm tra viên",
            Role::Backup => "Sao lưu",
            Role::Admin => "Quản trị",
        }
    }

    /// Parses a role name.
    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role may do `p`.
    pub fn allows(self, p: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Archivist => {
                matches!(p, Deposit | Edit | Retrieve | Download | Search | Dossiers)
            }
            Role::Officer => matches!(p, Retrieve | Download | Search),
            Role::Auditor => matches!(p, Retrieve | Verify | Journal | Report),
            Role::Backup => matches!(p, Backup),
            Role::Admin => matches!(p, Users | Holds | Approve | Jobs),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One thing an endpoint needs permission for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Deposit records.
    Deposit,
    /// Correct metadata.
    Edit,
    /// Read record metadata and versions.
    Retrieve,
    /// Download original files.
    Download,
    /// Search.
    Search,
    /// Create and fill dossiers.
    Dossiers,
    /// Verify records and read fixity history.
    Verify,
    /// Read the journal and checkpoints.
    Journal,
    /// Statistics reports and register exports.
    Report,
    /// Backup endpoints.
    Backup,
    /// Manage accounts.
    Users,
    /// Place and release legal holds.
    Holds,
    /// Approve dispositions.
    Approve,
    /// Run scheduled jobs by hand.
    Jobs,
}

/// An account.
#[derive(Debug, Clone, Serialize)]
pub struct Account {
    /// Login name (one person).
    pub name: String,
    /// Full name of the person.
    pub full_name: String,
    /// Role.
    pub role: Role,
    /// Whether it was disabled.
    pub disabled: bool,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// Tokens issued (revoked ones too), by token id.
    pub tokens: BTreeMap<String, TokenInfo>,
}

/// A token as the archive knows it (never the token itself).
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// Token id (shown in lists, used to revoke).
    pub id: String,
    /// SHA-256 of the token, hex.
    #[serde(skip)]
    #[allow(dead_code)] // kept beside the id for operators' tooling; lookups use `by_hash`
    pub sha256: String,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it stops working, if ever.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Whether it was revoked.
    pub revoked: bool,
}

/// Why a token does not authenticate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenProblem {
    /// No account has this token.
    Unknown,
    /// The token was revoked.
    Revoked,
    /// The token expired.
    Expired,
    /// The account is disabled.
    Disabled,
}

/// Every account, folded from the journal.
#[derive(Debug, Default, Clone)]
pub struct Accounts {
    accounts: BTreeMap<String, Account>,
    /// Token SHA-256 → (account, token id).
    by_hash: BTreeMap<String, (String, String)>,
}

/// A new token, to be shown once.
#[derive(Debug, Clone, Serialize)]
pub struct IssuedToken {
    /// Account.
    pub account: String,
    /// Token id.
    pub id: String,
    /// The token itself: shown now, never again.
    pub token: String,
}

/// Hex SHA-256 of a token.
pub fn token_hash(token: &str) -> String {
    hex::encode(sha2::Sha256::digest(token.as_bytes()))
}

/// Checks an account name: 1–64 of a-z, 0-9, `.`, `_`, `-`, starting with a letter.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "account name {name:?} must be 1 to 64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter"
        ))
    }
}

impl Accounts {
    /// Folds the account events of journal batches.
    pub fn from_events<'a>(events: impl IntoIterator<Item = &'a Event>) -> Accounts {
        let mut a = Accounts::default();
        for e in events {
            a.apply(e);
        }
        a
    }

    /// Applies one event (others are ignored).
    pub fn apply(&mut self, e: &Event) {
        let d = &e.detail;
        let s = |k: &str| d.get(k).and_then(|v| v.as_str()).unwrap_or("").to_string();
        match e.kind.as_str() {
            ACCOUNT_CREATED => {
                let Some(role) = Role::parse(&s("role")) else {
                    return;
                };
                self.accounts.insert(
                    e.object.clone(),
                    Account {
                        name: e.object.clone(),
                        full_name: s("full_name"),
                        role,
                        disabled: false,
                        created_at: e.time,
                        tokens: BTreeMap::new(),
                    },
                );
            }
            ACCOUNT_DISABLED => {
                if let Some(a) = self.accounts.get_mut(&e.object) {
                    a.disabled = true;
                }
            }
            TOKEN_ISSUED => {
                let (id, sha) = (s("token_id"), s("sha256"));
                let expires_at = d.get("expires_at").and_then(|v| v.as_str()).and_then(|t| {
                    OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
                });
                if let Some(a) = self.accounts.get_mut(&e.object) {
                    a.tokens.insert(
                        id.clone(),
                        TokenInfo {
                            id: id.clone(),
                            sha256: sha.clone(),
                            issued_at: e.time,
                            expires_at,
                            revoked: false,
                        },
                    );
                    self.by_hash.insert(sha, (e.object.clone(), id));
                }
            }
            TOKEN_REVOKED => {
                let id = s("token_id");
                if let Some(t) = self
                    .accounts
                    .get_mut(&e.object)
                    .and_then(|a| a.tokens.get_mut(&id))
                {
                    t.revoked = true;
                }
            }
            _ => {}
        }
    }

    /// Whether there is no account yet.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }

    /// Every account by name.
    pub fn list(&self) -> impl Iterator<Item = &Account> {
        self.accounts.values()
    }

    /// One account.
    pub fn get(&self, name: &str) -> Option<&Account> {
        self.accounts.get(name)
    }

    /// The account a token authenticates, at `now`.
    pub fn authenticate(&self, token: &str, now: OffsetDateTime) -> Result<&Account, TokenProblem> {
        let (name, id) = self
            .by_hash
            .get(&token_hash(token))
            .ok_or(TokenProblem::Unknown)?;
        let account = self.accounts.get(name).ok_or(TokenProblem::Unknown)?;
        let t = account.tokens.get(id).ok_or(TokenProblem::Unknown)?;
        if account.disabled {
            return Err(TokenProblem::Disabled);
        }
        if t.revoked {
            return Err(TokenProblem::Revoked);
        }
        if t.expires_at.is_some_and(|x| x <= now) {
            return Err(TokenProblem::Expired);
        }
        Ok(account)
    }

    /// Events that create an account with a first token.
    pub fn create_events(
        &self,
        actor: &str,
        name: &str,
        full_name: &str,
        role: Role,
        token: Option<String>,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(Vec<Event>, IssuedToken), String> {
        check_name(name)?;
        if self.accounts.contains_key(name) {
            return Err(format!("account {name:?} already exists"));
        }
        let created = Event::new(
            actor,
            ACCOUNT_CREATED,
            name,
            Outcome::Success,
            serde_json::json!({ "role": role.as_str(), "full_name": full_name }),
        );
        let (issued, ev) = token_event(actor, name, token, expires_at)?;
        Ok((vec![created, ev], issued))
    }

    /// The event that issues a new token to an account.
    pub fn token_events(
        &self,
        actor: &str,
        name: &str,
        expires_at: Option<OffsetDateTime>,
    ) -> Result<(Vec<Event>, IssuedToken), String> {
        let a = self
            .accounts
            .get(name)
            .ok_or_else(|| format!("no account {name:?}"))?;
        if a.disabled {
            return Err(format!("account {name:?} is disabled"));
        }
        let (issued, ev) = token_event(actor, name, None, expires_at)?;
        Ok((vec![ev], issued))
    }

    /// The event that disables an account.
    pub fn disable_events(
        &self,
        actor: &str,
        name: &str,
        reason: &str,
    ) -> Result<Vec<Event>, String> {
        let a = self
            .accounts
            .get(name)
            .ok_or_else(|| format!("no account {name:?}"))?;
        if a.disabled {
            return Err(format!("account {name:?} is already disabled"));
        }
        Ok(vec![Event::new(
            actor,
            ACCOUNT_DISABLED,
            name,
            Outcome::Success,
            serde_json::json!({ "reason": reason }),
        )])
    }

    /// The event that revokes one token.
    pub fn revoke_events(&self, actor: &str, token_id: &str) -> Result<Vec<Event>, String> {
        let owner = self
            .accounts
            .values()
            .find(|a| a.tokens.contains_key(token_id))
            .ok_or_else(|| format!("no token {token_id:?}"))?;
        Ok(vec![Event::new(
            actor,
            TOKEN_REVOKED,
            owner.name.clone(),
            Outcome::Success,
            serde_json::json!({ "token_id": token_id }),
        )])
    }
}

/// A new random token: `kho_` and 43 characters of URL-safe base64-like hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!("kho_{}", hex::encode(bytes))
}

fn token_event(
    actor: &str,
    name: &str,
    token: Option<String>,
    expires_at: Option<OffsetDateTime>,
) -> Result<(IssuedToken, Event), String> {
    let token = match token {
        Some(t) => {
            let t = t.trim().to_string();
            if t.len() < 32 || t.chars().any(|c| c.is_whitespace() || c.is_control()) {
                return Err(
                    "a token given by the operator must be at least 32 printable characters without spaces"
                        .into(),
                );
            }
            t
        }
        None => new_token(),
    };
    let id = uuid::Uuid::now_v7().simple().to_string()[20..].to_string();
    let expires = match expires_at {
        Some(t) => Some(
            t.format(&time::format_description::well_known::Rfc3339)
                .map_err(|e| e.to_string())?,
        ),
        None => None,
    };
    let ev = Event::new(
        actor,
        TOKEN_ISSUED,
        name,
        Outcome::Success,
        serde_json::json!({ "token_id": id, "sha256": token_hash(&token), "expires_at": expires }),
    );
    Ok((
        IssuedToken {
            account: name.to_string(),
            id,
            token,
        },
        ev,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(events: Vec<Event>) -> Accounts {
        Accounts::from_events(events.iter())
    }

    #[test]
    fn a_created_account_authenticates_with_its_token_only() {
        let a = Accounts::default();
        let (ev, tok) = a
            .create_events("system", "lan", "Nguyễn Thị Lan", Role::Officer, None, None)
            .expect("create");
        let a = with(ev);
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            a.authenticate(&tok.token, now).map(|x| x.role),
            Ok(Role::Officer)
        );
        assert_eq!(
            a.authenticate("kho_not-a-token", now).err(),
            Some(TokenProblem::Unknown)
        );
    }

    #[test]
    fn revoked_expired_and_disabled_tokens_are_refused_with_their_reason() {
        let a = Accounts::default();
        let now = OffsetDateTime::now_utc();
        let (mut ev, t1) = a
            .create_events("system", "lan", "Lan", Role::Officer, None, None)
            .expect("create");
        let a1 = with(ev.clone());
        let (ev2, t2) = a1
            .token_events("system", "lan", Some(now - time::Duration::hours(1)))
            .expect("token");
        ev.extend(ev2);
        let a2 = with(ev.clone());
        assert_eq!(
            a2.authenticate(&t2.token, now).err(),
            Some(TokenProblem::Expired)
        );
        ev.extend(a2.revoke_events("system", &t1.id).expect("revoke"));
        let a3 = with(ev.clone());
        assert_eq!(
            a3.authenticate(&t1.token, now).err(),
            Some(TokenProblem::Revoked)
        );
        let (ev3, t3) = a3.token_events("system", "lan", None).expect("token");
        ev.extend(ev3);
        let a4 = with(ev.clone());
        assert!(a4.authenticate(&t3.token, now).is_ok());
        ev.extend(a4.disable_events("system", "lan", "left").expect("disable"));
        let a5 = with(ev);
        assert_eq!(
            a5.authenticate(&t3.token, now).err(),
            Some(TokenProblem::Disabled)
        );
    }

    #[test]
    fn the_journal_keeps_only_the_hash_of_a_token() {
        let (ev, tok) = Accounts::default()
            .create_events("system", "lan", "Lan", Role::Officer, None, None)
            .expect("create");
        let text = serde_json::to_string(&ev).expect("json");
        assert!(!text.contains(&tok.token));
        assert!(text.contains(&token_hash(&tok.token)));
    }

    #[test]
    fn account_names_are_checked_and_unique() {
        let a = Accounts::default();
        assert!(
            a.create_events("s", "Lan Anh", "", Role::Officer, None, None)
                .is_err()
        );
        assert!(
            a.create_events("s", "../x", "", Role::Officer, None, None)
                .is_err()
        );
        let (ev, _) = a
            .create_events("s", "lan", "", Role::Officer, None, None)
            .expect("ok");
        let a = with(ev);
        assert!(
            a.create_events("s", "lan", "", Role::Admin, None, None)
                .is_err()
        );
    }

    #[test]
    fn each_role_has_exactly_its_design_permissions() {
        use Permission::*;
        assert!(Role::Officer.allows(Search) && !Role::Officer.allows(Deposit));
        assert!(Role::Archivist.allows(Deposit) && !Role::Archivist.allows(Journal));
        assert!(Role::Auditor.allows(Journal) && !Role::Auditor.allows(Download));
        assert!(Role::Backup.allows(Backup) && !Role::Backup.allows(Retrieve));
        assert!(Role::Admin.allows(Users) && !Role::Admin.allows(Download));
    }
}
