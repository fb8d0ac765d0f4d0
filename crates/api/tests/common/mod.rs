//! Helpers for tests that run the real `kho` binary.
#![allow(dead_code)]

pub mod server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A scratch directory with a store in `kho-data`.
pub struct Scratch {
    pub dir: tempfile::TempDir,
}

impl Scratch {
    pub fn new() -> Self {
        Scratch {
            dir: tempfile::tempdir().expect("tempdir"),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> PathBuf {
        self.dir.path().join("kho-data")
    }

    /// A `kho` command run in the scratch directory, accepting any format.
    pub fn kho(&self) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_kho"));
        c.current_dir(self.dir.path());
        c.env_remove("KHO_STORE").env_remove("KHO_CONFIG");
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.kho().args(args).output().expect("run kho")
    }

    pub fn write(&self, name: &str, data: &[u8]) -> PathBuf {
        let p = self.dir.path().join(name);
        std::fs::write(&p, data).expect("write");
        p
    }

    /// `kho init` with a config accepting any format.
    pub fn init_any(&self) {
        std::fs::write(
            self.dir.path().join("kho.toml"),
            "[ingest]\nformats = \"any\"\nmetadata = \"free\"\n",
        )
        .expect("config");
        let o = self.run(&["init"]);
        assert!(
            o.status.success(),
            "init: {}",
            String::from_utf8_lossy(&o.stderr)
        );
    }
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Deposits one file, returns the record id.
pub fn deposit(s: &Scratch, name: &str, data: &[u8]) -> String {
    s.write(name, data);
    let o = s.run(&["deposit", name]);
    assert!(o.status.success(), "deposit: {}", stderr(&o));
    stdout(&o)
        .split('\t')
        .next()
        .unwrap_or("")
        .trim()
        .to_string()
}

/// Every object path under the store matching a predicate.
pub fn objects(s: &Scratch, prefix: &str) -> Vec<PathBuf> {
    files_under(&s.store().join(prefix))
}

/// Every file below `dir`, sorted (none when it does not exist).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}
