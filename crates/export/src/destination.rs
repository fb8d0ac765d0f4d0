//! Destinations: checked before anything is written, filled under a temporary
//! name beside them and renamed into place only when complete.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{ExportError, Result};

/// What is at a destination path before an export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Found {
    /// Nothing.
    Nothing,
    /// An empty directory.
    EmptyDir,
    /// A directory with entries.
    NonEmptyDir,
    /// A file (or anything that is not a directory).
    File,
}

/// Looks at a destination path.
pub fn inspect(path: &Path) -> Result<Found> {
    match std::fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Found::Nothing),
        Err(e) => Err(ExportError::DestinationUnwritable {
            path: path.to_path_buf(),
            source: e,
        }),
        Ok(m) if m.is_dir() => {
            let mut rd =
                std::fs::read_dir(path).map_err(|e| ExportError::DestinationUnwritable {
                    path: path.to_path_buf(),
                    source: e,
                })?;
            Ok(if rd.next().is_some() {
                Found::NonEmptyDir
            } else {
                Found::EmptyDir
            })
        }
        Ok(_) => Ok(Found::File),
    }
}

/// An export being written under a temporary name. Dropped without
/// [`Staging::commit`], it removes what it wrote.
#[derive(Debug)]
pub struct Staging {
    target: PathBuf,
    temp: PathBuf,
    is_dir: bool,
    done: bool,
}

fn parent_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

fn temp_name(target: &Path) -> Result<PathBuf> {
    let name = target.file_name().ok_or_else(|| {
        ExportError::InvalidInput(format!(
            "destination {} has no file name: give a directory or file path",
            target.display()
        ))
    })?;
    Ok(parent_of(target).join(format!(
        ".{}.kho-tmp-{}",
        name.to_string_lossy(),
        uuid::Uuid::now_v7().simple()
    )))
}

fn unwritable(path: &Path) -> impl FnOnce(std::io::Error) -> ExportError + '_ {
    move |source| ExportError::DestinationUnwritable {
        path: path.to_path_buf(),
        source,
    }
}

impl Staging {
    /// Stages a directory export: `target` must be absent or an empty directory; its
    /// parent is created when missing.
    pub fn dir(target: &Path) -> Result<Staging> {
        match inspect(target)? {
            Found::Nothing | Found::EmptyDir => {}
            Found::NonEmptyDir => {
                return Err(ExportError::DestinationNotEmpty {
                    path: target.to_path_buf(),
                });
            }
            Found::File => {
                return Err(ExportError::DestinationExists {
                    path: target.to_path_buf(),
                });
            }
        }
        let parent = parent_of(target);
        std::fs::create_dir_all(&parent).map_err(unwritable(target))?;
        let temp = temp_name(target)?;
        std::fs::create_dir(&temp).map_err(unwritable(target))?;
        Ok(Staging {
            target: target.to_path_buf(),
            temp,
            is_dir: true,
            done: false,
        })
    }

    /// Stages a single-file export: `target` must not exist.
    pub fn file(target: &Path) -> Result<Staging> {
        if inspect(target)? != Found::Nothing {
            return Err(ExportError::DestinationExists {
                path: target.to_path_buf(),
            });
        }
        let parent = parent_of(target);
        std::fs::create_dir_all(&parent).map_err(unwritable(target))?;
        let temp = temp_name(target)?;
        std::fs::File::create_new(&temp).map_err(unwritable(target))?;
        Ok(Staging {
            target: target.to_path_buf(),
            temp,
            is_dir: false,
            done: false,
        })
    }

    /// Where to write now.
    pub fn path(&self) -> &Path {
        &self.temp
    }

    /// The final name.
    pub fn target(&self) -> &Path {
        &self.target
    }

    /// Moves the finished export to its final name.
    pub fn commit(mut self) -> Result<PathBuf> {
        if self.is_dir {
            // A rename onto an empty directory replaces it on POSIX; elsewhere the
            // empty directory is removed first.
            if inspect(&self.target)? == Found::EmptyDir && cfg!(not(unix)) {
                std::fs::remove_dir(&self.target)
                    .map_err(|e| ExportError::io("replacing the empty destination", e))?;
            }
        } else if inspect(&self.target)? != Found::Nothing {
            return Err(ExportError::DestinationExists {
                path: self.target.clone(),
            });
        }
        std::fs::rename(&self.temp, &self.target).map_err(|e| {
            ExportError::io(
                format!(
                    "renaming {} to {}",
                    self.temp.display(),
                    self.target.display()
                ),
                e,
            )
        })?;
        sync_dir(&parent_of(&self.target));
        self.done = true;
        Ok(self.target.clone())
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        // Best effort: the temporary name is hidden and says what it is if left behind.
        let _ = if self.is_dir {
            std::fs::remove_dir_all(&self.temp)
        } else {
            std::fs::remove_file(&self.temp)
        };
    }
}

/// Flushes a directory's entries to disk (best effort; not every platform can).
pub fn sync_dir(dir: &Path) {
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
}

/// Creates a file (and its parent directories) and writes all of `bytes` to it, durably.
pub fn write_file(path: &Path, bytes: &[u8]) -> Result<()> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| ExportError::io(format!("creating {}", parent.display()), e))?;
    }
    let mut f = std::fs::File::create(path)
        .map_err(|e| ExportError::io(format!("creating {}", path.display()), e))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .map_err(|e| ExportError::io(format!("writing {}", path.display()), e))
}

/// Replaces a file atomically: writes a temporary sibling, then renames it.
pub fn replace_file(path: &Path, bytes: &[u8]) -> Result<()> {
    let temp = temp_name(path)?;
    let result = write_file(&temp, bytes).and_then(|_| {
        std::fs::rename(&temp, path)
            .map_err(|e| ExportError::io(format!("renaming into {}", path.display()), e))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    sync_dir(&parent_of(path));
    result
}

/// A file name that is safe as one path component on every common file system:
/// separators, reserved and control characters become `_`, leading dots and spaces
/// go, and at most 200 bytes are kept (on a character boundary).
pub fn safe_component(name: &str, fallback: &str) -> String {
    let mut out: String = name
        .chars()
        .map(|c| match c {
            '/' | '\\' | ':' | '*' | '?' | '"' | '<' | '>' | '|' | '%' => '_',
            c if c.is_control() => '_',
            c => c,
        })
        .collect();
    let trimmed = out
        .trim_start_matches(['.', ' '])
        .trim_end_matches([' ', '.']);
    out = trimmed.to_string();
    if out.len() > 200 {
        let mut cut = 200;
        while !out.is_char_boundary(cut) {
            cut -= 1;
        }
        out.truncate(cut);
    }
    if out.is_empty() {
        fallback.to_string()
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn safe_component_removes_separators_and_leading_dots() {
        assert_eq!(safe_component("../a/b\\c.pdf", "f"), "_a_b_c.pdf");
        assert_eq!(safe_component("...", "file-1"), "file-1");
        assert_eq!(
            safe_component("Quyết định 05.pdf", "f"),
            "Quyết định 05.pdf"
        );
        assert_eq!(safe_component("a\nb%", "f"), "a_b_");
    }

    #[test]
    fn staging_a_non_empty_directory_is_refused_and_leaves_it_alone() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("x"), b"keep").unwrap();
        let e = Staging::dir(d.path()).unwrap_err();
        assert!(matches!(e, ExportError::DestinationNotEmpty { .. }), "{e}");
        assert_eq!(std::fs::read(d.path().join("x")).unwrap(), b"keep");
    }

    #[test]
    fn dropped_staging_removes_its_temporary_directory() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("out");
        let s = Staging::dir(&target).unwrap();
        std::fs::write(s.path().join("f"), b"x").unwrap();
        drop(s);
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 0);
    }

    #[test]
    fn committed_staging_replaces_an_empty_directory() {
        let d = tempfile::tempdir().unwrap();
        let target = d.path().join("out");
        std::fs::create_dir(&target).unwrap();
        let s = Staging::dir(&target).unwrap();
        std::fs::write(s.path().join("f"), b"x").unwrap();
        s.commit().unwrap();
        assert_eq!(std::fs::read(target.join("f")).unwrap(), b"x");
        assert_eq!(std::fs::read_dir(d.path()).unwrap().count(), 1);
    }
}
