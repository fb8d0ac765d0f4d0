//! `kho.toml`: where the store is and how deposits are handled.

use std::path::{Path, PathBuf};

use archive_core::blob::Compression;
use archive_core::format::FormatPolicy;
use archive_core::store::S3Settings;
use serde::Deserialize;

/// The whole configuration file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Primary store.
    #[serde(default)]
    pub store: StoreSection,
    /// Deposit handling.
    #[serde(default)]
    pub ingest: IngestSection,
    /// Search index.
    #[serde(default)]
    pub index: IndexSection,
    /// Backup targets.
    #[serde(default)]
    pub backup: BackupSection,
    /// Signature checks at deposit.
    #[serde(default)]
    pub signatures: SignaturesSection,
    /// Retention schedule.
    #[serde(default)]
    pub retention: crate::retention_cmd::RetentionSection,
    /// `kho serve`: scheduled jobs.
    #[serde(default)]
    pub serve: crate::server::ServeSection,
}

/// `[signatures]`: certificates that signature paths must end at. The national
/// root CAs are the operator's to configure; without any, every signature is
/// reported untrusted (accepted with a warning under the default policy).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignaturesSection {
    /// PEM files or directories of `.pem`/`.crt` files (relative to kho.toml).
    #[serde(default)]
    pub trust_anchors: Vec<PathBuf>,
    /// Intermediate certificates, same forms.
    #[serde(default)]
    pub intermediates: Vec<PathBuf>,
}

impl SignaturesSection {
    /// Paths resolved against the configuration's directory.
    pub fn resolved(&self, base: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
        let r = |v: &Vec<PathBuf>| {
            v.iter()
                .map(|p| {
                    if p.is_absolute() {
                        p.clone()
                    } else {
                        base.join(p)
                    }
                })
                .collect()
        };
        (r(&self.trust_anchors), r(&self.intermediates))
    }
}

/// `[backup]`: other object stores that hold copies of the store.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackupSection {
    /// `[backup.targets.NAME]`, by name.
    #[serde(default)]
    pub targets: std::collections::BTreeMap<String, TargetSection>,
}

/// `[backup.targets.NAME]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSection {
    /// Target URL or local path (relative to the config file's directory).
    pub url: String,
    /// S3 settings, as in `[store.s3]`.
    #[serde(default)]
    pub s3: S3Settings,
}

/// `[index]`: where the search index (derived data) lives.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndexSection {
    /// Local directory (relative to the config file's directory); default `kho-index`.
    #[serde(default)]
    pub path: Option<String>,
}

impl IndexSection {
    /// The index directory.
    pub fn dir(&self, base: &Path) -> PathBuf {
        base.join(self.path.as_deref().unwrap_or("kho-index"))
    }
}

/// `[store]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSection {
    /// Store URL or local path (relative to the config file's directory).
    #[serde(default = "default_url")]
    pub url: String,
    /// S3 settings.
    #[serde(default)]
    pub s3: S3Settings,
}

impl Default for StoreSection {
    fn default() -> Self {
        StoreSection {
            url: default_url(),
            s3: S3Settings::default(),
        }
    }
}

fn default_url() -> String {
    "kho-data".into()
}

/// `[ingest]`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IngestSection {
    /// `standard` (archival formats only) or `any`.
    #[serde(default)]
    pub formats: FormatPolicy,
    /// `auto` or `off`.
    #[serde(default)]
    pub compression: Option<String>,
    /// `required` (records-law metadata, validated) or `free` (any JSON object).
    #[serde(default)]
    pub metadata: archive_core::rules::MetadataPolicy,
}

impl IngestSection {
    /// The compression policy.
    pub fn compression(&self) -> anyhow::Result<Compression> {
        match self.compression.as_deref() {
            None | Some("auto") => Ok(Compression::default()),
            Some("off") => Ok(Compression::Off),
            Some(other) => {
                anyhow::bail!("ingest.compression must be \"auto\" or \"off\", not {other:?}")
            }
        }
    }
}

/// Loads `path`, or the defaults when `path` is the implicit `./kho.toml` and does not exist.
pub fn load(path: Option<&Path>) -> anyhow::Result<(Config, PathBuf)> {
    let (file, explicit) = match path {
        Some(p) => (p.to_path_buf(), true),
        None => (PathBuf::from("kho.toml"), false),
    };
    let base = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."));
    match std::fs::read_to_string(&file) {
        Ok(text) => {
            let cfg: Config =
                toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
            Ok((cfg, base))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !explicit => {
            Ok((Config::default(), base))
        }
        Err(e) => Err(anyhow::anyhow!(
            "cannot read config {}: {e}",
            file.display()
        )),
    }
}
