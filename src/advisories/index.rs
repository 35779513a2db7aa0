//! The local advisory index, one per ecosystem, under the cache directory:
//!
//! - `<Ecosystem>.json` — metadata: source URL, download time, counts, and the name of
//!   the data directory it describes (written last, atomically: readers never see a
//!   half-built index);
//! - `<Ecosystem>-<stamp>/records.jsonl` — one [`Record`] per line (advisory × package);
//! - `<Ecosystem>-<stamp>/packages.tsv` — `key \t offset \t length` per record, so the
//!   audit reads only the lines of the packages it has, never the whole file.

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::{BufRead, BufReader, BufWriter, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use super::osv::Record;
use crate::analyze::catalog::Ecosystem;

/// What `<Ecosystem>.json` says.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Meta {
    pub ecosystem: String,
    pub source: String,
    /// Seconds since the Unix epoch.
    pub downloaded_at: u64,
    pub advisories: usize,
    pub packages: usize,
    /// Size of the downloaded archive in bytes.
    pub archive_bytes: u64,
    /// The data directory, relative to the cache directory.
    pub dir: String,
}

/// OSV's name of an ecosystem (also the path segment of its dump).
pub fn osv_name(e: Ecosystem) -> &'static str {
    match e {
        Ecosystem::Python => "PyPI",
        Ecosystem::Rust => "crates.io",
        Ecosystem::Npm => "npm",
        Ecosystem::Go => "Go",
    }
}

/// The key a package is filed under: PEP 503 names for PyPI, as written elsewhere.
pub fn key(e: Ecosystem, name: &str) -> String {
    match e {
        Ecosystem::Python => e.normalize(name),
        _ => name.trim().to_string(),
    }
}

/// Builds an index for one ecosystem from its records, streaming them to disk.
pub struct Writer {
    ecosystem: Ecosystem,
    cache: PathBuf,
    dir_name: String,
    records: BufWriter<fs::File>,
    packages: BufWriter<fs::File>,
    offset: u64,
    ids: HashSet<String>,
    names: HashSet<String>,
}

impl Writer {
    pub fn create(cache: &Path, ecosystem: Ecosystem) -> Result<Writer> {
        fs::create_dir_all(cache)
            .with_context(|| format!("cannot create the cache directory {}", cache.display()))?;
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir_name = format!("{}-{stamp}-{}", osv_name(ecosystem), std::process::id());
        let dir = cache.join(&dir_name);
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let open = |name: &str| -> Result<BufWriter<fs::File>> {
            let p = dir.join(name);
            let f =
                fs::File::create(&p).with_context(|| format!("cannot create {}", p.display()))?;
            Ok(BufWriter::new(f))
        };
        Ok(Writer {
            ecosystem,
            cache: cache.to_path_buf(),
            records: open("records.jsonl")?,
            packages: open("packages.tsv")?,
            dir_name,
            offset: 0,
            ids: HashSet::new(),
            names: HashSet::new(),
        })
    }

    pub fn add(&mut self, record: &Record) -> Result<()> {
        let mut line = serde_json::to_vec(record)?;
        line.push(b'\n');
        let k = key(self.ecosystem, &record.package);
        // Tabs and newlines cannot be in a package name; one that has them is not one.
        if k.contains(['\t', '\n', '\r']) {
            return Ok(());
        }
        self.records.write_all(&line)?;
        writeln!(self.packages, "{k}\t{}\t{}", self.offset, line.len())?;
        self.offset += line.len() as u64;
        self.ids.insert(record.id.clone());
        self.names.insert(k);
        Ok(())
    }

    /// Flushes the data and publishes it by writing the metadata; removes older data.
    pub fn finish(mut self, source: &str, archive_bytes: u64) -> Result<Meta> {
        self.records.flush()?;
        self.packages.flush()?;
        let meta = Meta {
            ecosystem: osv_name(self.ecosystem).to_string(),
            source: source.to_string(),
            downloaded_at: now(),
            advisories: self.ids.len(),
            packages: self.names.len(),
            archive_bytes,
            dir: self.dir_name.clone(),
        };
        let path = meta_path(&self.cache, self.ecosystem);
        let tmp = self.cache.join(format!(
            ".{}.json.{}.tmp",
            osv_name(self.ecosystem),
            std::process::id()
        ));
        fs::write(&tmp, serde_json::to_vec_pretty(&meta)?)
            .with_context(|| format!("cannot write {}", tmp.display()))?;
        fs::rename(&tmp, &path).with_context(|| format!("cannot write {}", path.display()))?;
        // Older data directories of this ecosystem are no longer referenced.
        let prefix = format!("{}-", osv_name(self.ecosystem));
        if let Ok(entries) = fs::read_dir(&self.cache) {
            for e in entries.flatten() {
                let name = e.file_name().to_string_lossy().into_owned();
                if name.starts_with(&prefix)
                    && name != self.dir_name
                    && name
                        .get(prefix.len()..)
                        .is_some_and(|r| r.starts_with(|c: char| c.is_ascii_digit()))
                {
                    let _ = fs::remove_dir_all(e.path());
                }
            }
        }
        Ok(meta)
    }

    /// Removes a half-built index (on error).
    pub fn abandon(self) {
        let _ = fs::remove_dir_all(self.cache.join(&self.dir_name));
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn meta_path(cache: &Path, e: Ecosystem) -> PathBuf {
    cache.join(format!("{}.json", osv_name(e)))
}

/// Reads the metadata of an ecosystem's index; `None` when there is none.
pub fn meta(cache: &Path, e: Ecosystem) -> Option<Meta> {
    let text = fs::read(meta_path(cache, e)).ok()?;
    serde_json::from_slice(&text).ok()
}

/// Longest record line read (a record is one advisory for one package).
const MAX_RECORD: u64 = 4 << 20;

/// The records filed under each of `wanted` keys.
pub fn load(
    cache: &Path,
    meta: &Meta,
    wanted: &HashSet<String>,
) -> Result<HashMap<String, Vec<Record>>> {
    let dir = cache.join(&meta.dir);
    let tsv = dir.join("packages.tsv");
    let reader = BufReader::new(
        fs::File::open(&tsv).with_context(|| format!("cannot read {}", tsv.display()))?,
    );
    let mut spans: Vec<(String, u64, u64)> = Vec::new();
    for line in reader.lines() {
        let line = line.with_context(|| format!("cannot read {}", tsv.display()))?;
        let mut parts = line.split('\t');
        let (Some(k), Some(o), Some(l)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        if !wanted.contains(k) {
            continue;
        }
        if let (Ok(o), Ok(l)) = (o.parse(), l.parse()) {
            spans.push((k.to_string(), o, l));
        }
    }
    spans.sort_by_key(|s| s.1);
    let path = dir.join("records.jsonl");
    let mut file =
        fs::File::open(&path).with_context(|| format!("cannot read {}", path.display()))?;
    let mut out: HashMap<String, Vec<Record>> = HashMap::new();
    let mut buf = Vec::new();
    for (k, offset, len) in spans {
        if len > MAX_RECORD {
            continue;
        }
        buf.clear();
        file.seek(SeekFrom::Start(offset))?;
        (&mut file).take(len).read_to_end(&mut buf)?;
        let record: Record = serde_json::from_slice(&buf)
            .with_context(|| format!("{} is corrupt at byte {offset}", path.display()))?;
        out.entry(k).or_default().push(record);
    }
    Ok(out)
}
