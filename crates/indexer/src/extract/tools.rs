//! Optional external tools: `pdftotext`, `pdftoppm` + `tesseract` (OCR with
//! the `vie` language data), `antiword`, `catdoc`. Each runs on a scratch
//! copy of the file with a deadline and is killed when it passes it.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{Extraction, Limits, Outcome};

/// The path of an executable on `PATH`, if installed.
pub(crate) fn installed(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Whether `tesseract` is installed with the Vietnamese language data.
pub(crate) fn tesseract_vie() -> Option<PathBuf> {
    let exe = installed("tesseract")?;
    let out = Command::new(&exe)
        .arg("--list-langs")
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|l| l.trim() == "vie")
        .then_some(exe)
}

/// Runs a command until `deadline`, keeping at most `max_out` bytes of its
/// standard output.
fn run(cmd: &mut Command, deadline: Instant, max_out: usize) -> Result<Vec<u8>, String> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run {:?} ({e})", cmd.get_program()))?;
    let mut stdout = child
        .stdout
        .take()
        .ok_or_else(|| "no output pipe".to_string())?;
    let limit = max_out as u64 + 1;
    let reader = std::thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = (&mut stdout).take(limit).read_to_end(&mut buf);
        // Drain the rest so the tool is not blocked on a full pipe.
        let _ = std::io::copy(&mut stdout, &mut std::io::sink());
        buf
    });
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("{:?} passed the time limit", cmd.get_program()));
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(10)),
            Err(e) => return Err(format!("waiting for {:?} ({e})", cmd.get_program())),
        }
    };
    let out = reader
        .join()
        .map_err(|_| "output reader failed".to_string())?;
    if !status.success() {
        return Err(format!("{:?} failed ({status})", cmd.get_program()));
    }
    Ok(out)
}

fn scratch_copy(bytes: &[u8], suffix: &str) -> Result<(tempfile::TempDir, PathBuf), String> {
    let dir = tempfile::tempdir().map_err(|e| format!("no scratch directory ({e})"))?;
    let path = dir.path().join(format!("input{suffix}"));
    std::fs::write(&path, bytes).map_err(|e| format!("cannot write scratch copy ({e})"))?;
    Ok((dir, path))
}

/// The text layer of a PDF through `pdftotext`; `None` when not installed.
pub(super) fn pdftotext(bytes: &[u8], limits: &Limits) -> Option<Result<String, String>> {
    let exe = installed("pdftotext")?;
    let deadline = Instant::now() + limits.timeout;
    Some((|| {
        let (_dir, input) = scratch_copy(bytes, ".pdf")?;
        let out = run(
            Command::new(exe)
                .args(["-q", "-enc", "UTF-8", "-l"])
                .arg(limits.max_pages.to_string())
                .arg(&input)
                .arg("-"),
            deadline,
            limits.max_text_bytes,
        )?;
        Ok(String::from_utf8_lossy(&out).into_owned())
    })())
}

/// OCR of the first pages of a scanned PDF: `pdftoppm` renders them,
/// `tesseract -l vie` reads them.
pub(super) fn ocr_pdf(bytes: &[u8], limits: &Limits) -> Outcome {
    let render = installed("pdftoppm").ok_or("skipped: pdftoppm not installed")?;
    let tesseract = tesseract_vie().ok_or("skipped: tesseract with vie data not installed")?;
    let deadline = Instant::now() + limits.timeout;
    let (dir, input) = scratch_copy(bytes, ".pdf")?;
    let pages = limits.max_pages.min(MAX_OCR_PAGES);
    run(
        Command::new(render)
            .args(["-r", "200", "-gray", "-png", "-l"])
            .arg(pages.to_string())
            .arg(&input)
            .arg(dir.path().join("page")),
        deadline,
        0,
    )?;
    let mut images: Vec<PathBuf> = std::fs::read_dir(dir.path())
        .map_err(|e| format!("reading rendered pages ({e})"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .collect();
    images.sort();
    let mut text = String::new();
    for image in &images {
        text.push_str(&tesseract_file(&tesseract, image, deadline, limits)?);
        text.push('\u{0C}');
    }
    let mut x = Extraction::of("tesseract", text);
    x.notes.push(format!("OCR of {} page(s)", images.len()));
    if images.len() == MAX_OCR_PAGES {
        x.notes
            .push(format!("OCR stopped after {MAX_OCR_PAGES} pages"));
    }
    Ok(x)
}

/// Most pages of one PDF given to OCR.
const MAX_OCR_PAGES: usize = 50;

fn tesseract_file(
    exe: &Path,
    image: &Path,
    deadline: Instant,
    limits: &Limits,
) -> Result<String, String> {
    let out = run(
        Command::new(exe).arg(image).args(["stdout", "-l", "vie"]),
        deadline,
        limits.max_text_bytes,
    )?;
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// OCR of an image file.
pub(super) fn ocr_image(bytes: &[u8], limits: &Limits) -> Outcome {
    let tesseract = tesseract_vie().ok_or("tool not installed: tesseract with vie data")?;
    let deadline = Instant::now() + limits.timeout;
    let (_dir, input) = scratch_copy(bytes, ".img")?;
    let text = tesseract_file(&tesseract, &input, deadline, limits)?;
    Ok(Extraction::of("tesseract", text))
}

/// A legacy Word `.doc` through `antiword` or `catdoc`.
pub(super) fn legacy_doc(bytes: &[u8], limits: &Limits) -> Outcome {
    let deadline = Instant::now() + limits.timeout;
    let (_dir, input) = scratch_copy(bytes, ".doc")?;
    if let Some(exe) = installed("antiword") {
        let out = run(
            Command::new(exe).args(["-m", "UTF-8.txt"]).arg(&input),
            deadline,
            limits.max_text_bytes,
        );
        if let Ok(out) = out {
            return Ok(Extraction::of(
                "antiword",
                String::from_utf8_lossy(&out).into_owned(),
            ));
        }
    }
    if let Some(exe) = installed("catdoc") {
        let out = run(
            Command::new(exe).args(["-d", "utf-8"]).arg(&input),
            deadline,
            limits.max_text_bytes,
        )?;
        return Ok(Extraction::of(
            "catdoc",
            String::from_utf8_lossy(&out).into_owned(),
        ));
    }
    Err("tool not installed: antiword or catdoc".into())
}
