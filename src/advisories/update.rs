//! `greenlight advisories update`: fetches OSV's `<Ecosystem>/all.zip` dumps (over HTTPS,
//! or from a local mirror) and turns each into the compact index the audit reads. This
//! is the only part of greenlight that goes online, and only when asked.

use std::fs;
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use super::index::{self, Meta, Writer};
use super::osv::Advisory;
use crate::analyze::catalog::Ecosystem;

/// Where OSV publishes its dumps.
pub const DEFAULT_SOURCE: &str = "https://osv-vulnerabilities.storage.googleapis.com";

/// Largest archive accepted (npm's, the largest, is a few hundred megabytes).
const MAX_ARCHIVE: u64 = 4 << 30;
/// Largest advisory accepted inside an archive; larger entries are skipped.
const MAX_ENTRY: u64 = 8 << 20;

/// What one ecosystem's update did.
#[derive(Debug)]
pub struct Updated {
    pub meta: Meta,
    pub elapsed: Duration,
    /// Entries that were not valid OSV JSON (skipped).
    pub skipped: usize,
}

/// Fetches and indexes the dump of each ecosystem from `source` (an `http(s)://` base
/// URL, a `file://` URL or a directory holding `<Ecosystem>/all.zip`).
pub fn update(source: &str, cache: &Path, ecosystems: &[Ecosystem]) -> Result<Vec<Updated>> {
    let mut done = Vec::new();
    for &e in ecosystems {
        let started = Instant::now();
        let url = format!(
            "{}/{}/all.zip",
            source.trim_end_matches('/'),
            index::osv_name(e)
        );
        let (archive, bytes) = open_archive(&url, cache)?;
        let (meta, skipped) = import(archive, &url, bytes, cache, e)
            .with_context(|| format!("cannot index {url}"))?;
        done.push(Updated {
            meta,
            elapsed: started.elapsed(),
            skipped,
        });
    }
    Ok(done)
}

/// The archive as a readable file and its size; a download goes to a temporary file
/// in the cache directory, removed when dropped.
fn open_archive(url: &str, cache: &Path) -> Result<(fs::File, u64)> {
    let local = url
        .strip_prefix("file://")
        .map(PathBuf::from)
        .or_else(|| (!url.contains("://")).then(|| PathBuf::from(url)));
    if let Some(path) = local {
        let file =
            fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
        let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
        return Ok((file, bytes));
    }
    if !url.starts_with("https://") && !url.starts_with("http://") {
        bail!("cannot fetch {url}: use an https:// or file:// URL, or a directory");
    }
    fs::create_dir_all(cache)
        .with_context(|| format!("cannot create the cache directory {}", cache.display()))?;
    let config = ureq::Agent::config_builder()
        .timeout_connect(Some(Duration::from_secs(30)))
        .timeout_global(Some(Duration::from_secs(30 * 60)))
        .build();
    let agent: ureq::Agent = config.into();
    let response = agent
        .get(url)
        .call()
        .with_context(|| format!("cannot download {url}"))?;
    let mut reader = response
        .into_body()
        .into_with_config()
        .limit(MAX_ARCHIVE)
        .reader();
    let mut tmp = tempfile::tempfile_in(cache)
        .with_context(|| format!("cannot write to {}", cache.display()))?;
    let bytes =
        std::io::copy(&mut reader, &mut tmp).with_context(|| format!("cannot download {url}"))?;
    tmp.rewind()?;
    Ok((tmp, bytes))
}

/// Indexes every advisory of the archive, streaming: one entry in memory at a time.
fn import(
    archive: fs::File,
    source: &str,
    bytes: u64,
    cache: &Path,
    e: Ecosystem,
) -> Result<(Meta, usize)> {
    let mut zip = zip::ZipArchive::new(archive).context("not a zip archive")?;
    let mut writer = Writer::create(cache, e)?;
    let mut skipped = 0;
    let mut buf = Vec::new();
    let result = (|| -> Result<()> {
        for i in 0..zip.len() {
            let mut entry = zip.by_index(i)?;
            if !entry.is_file() || !entry.name().ends_with(".json") {
                continue;
            }
            if entry.size() > MAX_ENTRY {
                skipped += 1;
                continue;
            }
            buf.clear();
            (&mut entry).take(MAX_ENTRY).read_to_end(&mut buf)?;
            let Ok(advisory) = serde_json::from_slice::<Advisory>(&buf) else {
                skipped += 1;
                continue;
            };
            for record in advisory.records(index::osv_name(e)) {
                writer.add(&record)?;
            }
        }
        Ok(())
    })();
    match result {
        Ok(()) => Ok((writer.finish(source, bytes)?, skipped)),
        Err(err) => {
            writer.abandon();
            Err(err)
        }
    }
}
