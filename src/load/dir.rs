//! Reads a snapshot from a directory on disk. Symbolic links are recorded, never followed.

use super::snapshot::{Snapshot, skipped_dir};
use std::io::Read;
use std::path::Path;

/// Walks `root` (at most 32 levels deep) into a snapshot.
pub fn read_dir(root: &Path) -> Result<Snapshot, String> {
    let meta =
        std::fs::metadata(root).map_err(|e| format!("cannot read {}: {e}", root.display()))?;
    if !meta.is_dir() {
        return Err(format!("{} is not a directory", root.display()));
    }
    let mut snap = Snapshot::default();
    walk(root, "", 0, &mut snap)?;
    Ok(snap)
}

fn walk(dir: &Path, prefix: &str, depth: u32, snap: &mut Snapshot) -> Result<(), String> {
    if depth > 32 {
        return Ok(());
    }
    let entries =
        std::fs::read_dir(dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue; // Not UTF-8: cannot be a document adoptbot reads.
        };
        let rel = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}/{name}")
        };
        let Ok(ft) = entry.file_type() else { continue };
        let path = entry.path();
        if ft.is_symlink() {
            snap.add_symlink(rel);
        } else if ft.is_dir() {
            if !skipped_dir(&name) {
                walk(&path, &rel, depth + 1, snap)?;
            }
        } else if ft.is_file() {
            // The size is checked on the bytes read (at most one more than the limit), which
            // saves a stat per file.
            snap.add(rel, 0, || {
                let mut buf = Vec::new();
                std::fs::File::open(&path)
                    .and_then(|f| {
                        f.take(super::yaml::MAX_FILE_BYTES as u64 + 1)
                            .read_to_end(&mut buf)
                    })
                    .map_err(|e| e.to_string())?;
                Ok(buf)
            });
        }
    }
    Ok(())
}
