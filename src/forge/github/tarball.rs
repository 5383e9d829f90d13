//! A repository tarball, as `GET /repos/{owner}/{repo}/tarball/{ref}` serves it, into a
//! [`Snapshot`]: gunzipped and untarred in memory, with the top-level folder
//! (`owner-repo-sha/`) stripped. Like a git tree read through git2, nothing is skipped: a
//! tarball holds exactly the committed files.

use crate::load::Snapshot;
use std::io::{self, Read};
use std::path::Component;

/// How many bytes a tarball may decompress to, by default: 256 MiB.
pub const MAX_UNPACKED_BYTES: u64 = 256 * 1024 * 1024;

/// Unpacks `gzipped` into a snapshot, failing once more than `limit` bytes come out of the
/// decompressor.
pub fn unpack(gzipped: &[u8], limit: u64) -> Result<Snapshot, String> {
    let reader = Limited {
        inner: flate2::read::GzDecoder::new(gzipped),
        left: limit,
        limit,
    };
    let mut archive = tar::Archive::new(reader);
    let mut snap = Snapshot::default();
    let entries = archive.entries().map_err(|e| describe(&e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| describe(&e))?;
        let kind = entry.header().entry_type();
        let path = {
            let Ok(raw) = entry.path() else { continue };
            match relative(&raw) {
                Some(p) => p,
                None => continue,
            }
        };
        if kind.is_symlink() {
            snap.add_symlink(path);
        } else if kind.is_file() || kind == tar::EntryType::Continuous {
            let size = entry.size();
            let mut failure = None;
            snap.add(path, size, || {
                let mut buf = Vec::with_capacity(size as usize);
                match entry.read_to_end(&mut buf) {
                    Ok(_) => Ok(buf),
                    Err(e) => {
                        let text = describe(&e);
                        failure = Some(text.clone());
                        Err(text)
                    }
                }
            });
            // The archive is in memory, so a read fails only when the stream does (corrupt,
            // or past the limit): that ends the archive.
            if let Some(f) = failure {
                return Err(f);
            }
        }
        // Directories, the pax global header GitHub adds, hard links (git has none): skipped.
    }
    Ok(snap)
}

/// The path inside the repository: the top-level folder stripped, `/`-separated. `None` for
/// the folder itself, headers, and anything with `..` or a root.
fn relative(raw: &std::path::Path) -> Option<String> {
    let mut parts = Vec::new();
    for c in raw.components() {
        match c {
            Component::Normal(s) => parts.push(s.to_str()?.to_string()),
            Component::CurDir => {}
            _ => return None,
        }
    }
    if parts.len() < 2 {
        return None;
    }
    Some(parts[1..].join("/"))
}

fn describe(e: &io::Error) -> String {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<TooLarge>())
    {
        Some(t) => t.to_string(),
        None => format!("cannot read the tarball: {e}"),
    }
}

#[derive(Debug)]
struct TooLarge(u64);

impl std::fmt::Display for TooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the tarball decompresses to more than {} bytes, the most adoptbot reads",
            self.0
        )
    }
}

impl std::error::Error for TooLarge {}

/// A reader that fails once more than `limit` bytes have been read through it.
struct Limited<R> {
    inner: R,
    left: u64,
    limit: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            // One more byte tells a stream that ends exactly at the limit from a longer one.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(io::Error::other(TooLarge(self.limit))),
            };
        }
        let max = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..max])?;
        self.left -= n as u64;
        Ok(n)
    }
}

// ----- One folder of a tarball, for the bot's own branches. -----

/// The regular files under `prefix` (a folder, ending in `/`) of a gzipped tarball, with
/// their bytes; files larger than `max_file` bytes, symlinks and everything else are left
/// out. Fails once more than `limit` bytes come out of the decompressor.
pub fn unpack_under(
    gzipped: &[u8],
    limit: u64,
    prefix: &str,
    max_file: u64,
) -> Result<std::collections::BTreeMap<String, Vec<u8>>, String> {
    let reader = Limited {
        inner: flate2::read::GzDecoder::new(gzipped),
        left: limit,
        limit,
    };
    let mut archive = tar::Archive::new(reader);
    let mut out = std::collections::BTreeMap::new();
    for entry in archive.entries().map_err(|e| describe(&e))? {
        let mut entry = entry.map_err(|e| describe(&e))?;
        let kind = entry.header().entry_type();
        let Some(path) = entry.path().ok().and_then(|raw| relative(&raw)) else {
            continue;
        };
        if !(kind.is_file() || kind == tar::EntryType::Continuous)
            || !path.starts_with(prefix)
            || entry.size() > max_file
        {
            continue;
        }
        let mut buf = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut buf).map_err(|e| describe(&e))?;
        out.insert(path, buf);
    }
    Ok(out)
}
