//! Compiles the official survey forms into the binary: writes `$OUT_DIR/official_forms.rs`, a
//! list of `(file name, include_str!(absolute path))` for every `*.toml` of `survey-forms/`, which
//! `domain::forms::official` includes. The forms are checked at start like any other (a broken
//! file stops the start, not the build), so the build needs no dependency of its own.

use std::fmt::Write as _;
use std::path::Path;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest = std::env::var("CARGO_MANIFEST_DIR")?;
    let dir = Path::new(&manifest).join("survey-forms");
    // A directory: cargo reruns when any file in it is added, removed or changed.
    println!("cargo:rerun-if-changed=survey-forms");
    let mut files = Vec::new();
    for entry in std::fs::read_dir(&dir)? {
        let path = entry?.path();
        if path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    files.sort();
    let mut out = String::from(
        "/// The official forms compiled in: (file name, TOML text), sorted by file name.\n\
         pub const OFFICIAL_FORMS: &[(&str, &str)] = &[\n",
    );
    for path in &files {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} is not a UTF-8 file name", path.display()))?;
        let abs = path
            .to_str()
            .ok_or_else(|| format!("{} is not a UTF-8 path", path.display()))?;
        writeln!(out, "    ({name:?}, include_str!({abs:?})),")?;
    }
    out.push_str("];\n");
    let target = Path::new(&std::env::var("OUT_DIR")?).join("official_forms.rs");
    std::fs::write(target, out)?;
    Ok(())
}
