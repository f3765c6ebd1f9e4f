//! Where a build's results go, shared by its worker threads: each output
//! is written (atomically, through the site, unless it is a dry run),
//! recorded in the cache with the key it was made from, and listed in the
//! report, written or up to date.

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use crate::error::{Error, Result};
use crate::pipeline::cache::{slash, Cache, Made};
use crate::pipeline::fresh::OutputState;
use crate::pipeline::report::{PageDiff, Report, PAGE};
use crate::pipeline::shard::{Fragment, Shard};
use crate::site::{Site, WriteOutcome};

pub struct Sink<'a> {
    site: &'a Site,
    dry_run: bool,
    /// A shard saves a fragment of the cache instead of the cache.
    shard: Option<Shard>,
    report: Mutex<Report>,
    cache: Mutex<Cache>,
    /// Every output path seen (written or up to date): a shard's fragment.
    touched: Mutex<BTreeSet<String>>,
}

impl<'a> Sink<'a> {
    /// A sink whose cache starts as `cache` (what the build began with).
    pub fn new(site: &'a Site, dry_run: bool, shard: Option<Shard>, cache: Cache) -> Self {
        Sink {
            site,
            dry_run,
            shard,
            report: Mutex::new(Report {
                dry_run,
                shard: shard.map(|s| s.to_string()),
                ..Report::default()
            }),
            cache: Mutex::new(cache),
            touched: Mutex::new(BTreeSet::new()),
        }
    }

    /// Reports a failure; a read stopped by Ctrl-C is not one (the report
    /// says the run was cancelled).
    pub fn error(&self, e: &Error) {
        if !matches!(e, Error::Cancelled { .. }) {
            lock(&self.report).add_error(e);
        }
    }

    pub fn up_to_date(&self, path: &Path) {
        lock(&self.report).up_to_date.push(slash(path));
        lock(&self.touched).insert(slash(path));
    }

    /// Counts a frame's source bytes and its optimised copy's, for the summary.
    pub fn count_optimised(&self, source: usize, optimised: usize) {
        let mut report = lock(&self.report);
        report.source_bytes += source as u64;
        report.optimised_bytes += optimised as u64;
    }

    /// Writes one output (unless dry run) and records what it was made
    /// from; `origin` is the frame's identity when the output is the render
    /// itself, optimised in place. `page` is the page it is for (named if
    /// the path is refused).
    pub fn write(
        &self,
        o: &OutputState,
        bytes: &[u8],
        page: &Path,
        origin: Option<&str>,
    ) -> Result<()> {
        let outcome = if self.dry_run {
            match self.site.read_existing(&o.path) {
                Some(existing) if existing == bytes => WriteOutcome::Unchanged,
                _ => WriteOutcome::Written,
            }
        } else {
            self.site.write(&o.path, bytes, page)?
        };
        {
            let mut report = lock(&self.report);
            match outcome {
                WriteOutcome::Written => {
                    report.add_written(&o.path, o.kind.report_name(), bytes.len())
                }
                WriteOutcome::Unchanged => report.unchanged.push(slash(&o.path)),
            }
        }
        let made = Made {
            key: &o.key,
            sources: &o.sources,
            origin,
        };
        lock(&self.cache).record(&o.path, bytes, made);
        lock(&self.touched).insert(slash(&o.path));
        Ok(())
    }

    /// Lists an output a dry run would make (its size is not known: nothing
    /// was made).
    pub fn would_write(&self, o: &OutputState) {
        lock(&self.report).add_would_write(&o.path, o.kind.report_name());
    }

    /// Writes a page (unless dry run, when its change is kept as a diff);
    /// pages are the user's, not recorded in the cache.
    pub fn write_page(
        &self,
        path: &Path,
        bytes: &[u8],
        diff: impl FnOnce() -> String,
    ) -> Result<()> {
        if self.dry_run {
            lock(&self.report).diffs.push(PageDiff {
                path: slash(path),
                diff: diff(),
            });
        } else {
            self.site.write(path, bytes, path)?;
        }
        lock(&self.report).add_written(path, PAGE, bytes.len());
        Ok(())
    }

    /// The report, with the cache (or a shard's fragment) saved, unless
    /// dry run.
    pub fn finish(self) -> Report {
        let mut report = self.report.into_inner().unwrap_or_else(|e| e.into_inner());
        if self.dry_run {
            return report;
        }
        let mut cache = self.cache.into_inner().unwrap_or_else(|e| e.into_inner());
        let saved = match self.shard {
            None => cache.save(self.site),
            Some(shard) => {
                let touched = self.touched.into_inner().unwrap_or_else(|e| e.into_inner());
                let mut written: Vec<String> =
                    report.written.iter().map(|w| w.path.clone()).collect();
                written.sort();
                Fragment::new(shard, &self.site.settings, &cache, &touched, written)
                    .save(self.site, shard)
            }
        };
        if let Err(e) = saved {
            report.add_error(&e);
        }
        report
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A panic in another worker must not hide this one's results.
    m.lock().unwrap_or_else(|e| e.into_inner())
}
