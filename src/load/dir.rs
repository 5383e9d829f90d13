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
    let mut found = Vec::new();
    walk(root, "", 0, &mut found)?;
    // Listing is sequential (it is ordered); reading the files is spread over every core,
    // and the snapshot is filled in the listing's order.
    use rayon::prelude::*;
    let read: Vec<Option<Capped>> = found
        .par_iter()
        .with_min_len(32)
        .map(|f| match f {
            Found::File(rel, path) if super::snapshot::wanted(rel) => Some(read_capped(path)),
            _ => None,
        })
        .collect();
    let mut snap = Snapshot::default();
    for (f, bytes) in found.into_iter().zip(read) {
        match f {
            Found::Symlink(rel) => snap.add_symlink(rel),
            // The size is checked on the bytes read (at most one more than the limit), which
            // saves a stat per file; only a file over the limit is measured, to say its size.
            Found::File(rel, _) => match bytes {
                Some(Ok((bytes, size))) => snap.add(rel, size, || Ok(bytes)),
                Some(Err(e)) => snap.add(rel, 0, || Err(e)),
                None => snap.add(rel, 0, || Ok(Vec::new())),
            },
        }
    }
    Ok(snap)
}

/// An entry of the walk, in order.
enum Found {
    File(String, std::path::PathBuf),
    Symlink(String),
}

/// A file read up to the limit: its bytes, and its real size when it is over (0 otherwise).
type Capped = Result<(Vec<u8>, u64), String>;

/// The file's bytes, at most one more than the limit, and its real size when it is over the
/// limit (0 otherwise).
fn read_capped(path: &Path) -> Capped {
    let mut buf = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(super::yaml::MAX_FILE_BYTES as u64 + 1)
                .read_to_end(&mut buf)
        })
        .map_err(|e| e.to_string())?;
    let size = if buf.len() > super::yaml::MAX_FILE_BYTES {
        std::fs::metadata(path).map_or(buf.len() as u64, |m| m.len())
    } else {
        0
    };
    Ok((buf, size))
}

fn walk(dir: &Path, prefix: &str, depth: u32, found: &mut Vec<Found>) -> Result<(), String> {
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
            found.push(Found::Symlink(rel));
        } else if ft.is_dir() {
            if !skipped_dir(&name) {
                walk(&path, &rel, depth + 1, found)?;
            }
        } else if ft.is_file() {
            found.push(Found::File(rel, path));
        }
    }
    Ok(())
}
