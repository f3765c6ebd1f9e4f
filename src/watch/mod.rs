//! `assetgen watch`: build, then rebuild what changed as renders, pages
//! or `_config.yml` change, until stopped.
//!
//! The file watcher is the notify project's (inotify, FSEvents,
//! ReadDirectoryChangesW) with its mini debouncer: a path is reported once
//! no write to it came for the debounce window. Each batch is turned into
//! pages to build: a changed page, the pages whose gallery lists a changed
//! render (or continues into it), everything when the settings changed.
//! The build itself is the ordinary one, so the cache decides what is
//! redone; watch only decides which pages to hand it and when:
//!
//! - a page whose gallery names a render that is missing or not yet whole
//!   (see `settle`) waits, and says so once;
//! - the files a build writes (outputs, pages it rewrites, in place the
//!   optimised renders) are known by their hashes and do not start another
//!   build, so it can run beside `jekyll serve` without feeding on itself;
//! - a render or page whose size and modification time are those it had
//!   when its page was last handed to a build is not a change: one write
//!   can reach the debouncer as two batches, and the second must not build
//!   the page again;
//! - bad input (a broken page, a corrupt render, a bad `_config.yml`) is
//!   reported and the watch goes on.
//!
//! The library installs no signal handler: the caller stops the watch
//! through a [`Stopper`] (the CLI's Ctrl-C handler does), which also
//! cancels a build in flight the way a build's Ctrl-C does.

mod settle;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::event::{AccessKind, AccessMode, EventKind};
use notify_debouncer_mini::notify::{
    self, Event, EventHandler, RecommendedWatcher, RecursiveMode, Watcher, WatcherKind,
};
use notify_debouncer_mini::{new_debouncer_opt, Config, DebounceEventResult, Debouncer};

use crate::error::{Error, Result};
use crate::naming::split_frame_number;
use crate::pipeline::cache::{hash, slash, Cache, FILE_NAME};
use crate::pipeline::execute::{build, BuildOptions};
use crate::pipeline::plan::Plan;
use crate::pipeline::report::{NoProgress, Report, PAGE};
use crate::settings::Overrides;
use crate::site::Site;
use settle::Settled;

/// What to watch and how.
#[derive(Debug, Clone)]
pub struct WatchOptions {
    /// The site root.
    pub root: PathBuf,
    /// Settings given on the command line (over `_config.yml`'s).
    pub flags: Overrides,
    /// How long a path must go unwritten before it is looked at.
    pub debounce: Duration,
}

/// What a watch tells its caller, as it happens.
#[derive(Debug)]
pub enum WatchEvent<'a> {
    /// A build ran, of `pages` (the whole site when empty).
    Built {
        pages: &'a [PathBuf],
        report: &'a Report,
    },
    /// The first build is done and changes are being watched.
    Watching { folders: &'a [PathBuf] },
    /// A page waits for its renders (said once per reason).
    Waiting { page: &'a Path, reason: &'a str },
    /// Renders in the source root that no page lists (said once per name).
    Unlisted { stem: &'a str, renders: usize },
    /// A failure outside any page's build: `_config.yml`, the watcher.
    Error(&'a Error),
}

/// Receives a watch's events (from the watch's own thread).
pub trait WatchObserver {
    fn event(&self, event: WatchEvent<'_>);
}

enum Message {
    Files(DebounceEventResult),
    Stop,
}

/// Stops a running watch (from a signal handler, another thread...).
#[derive(Clone)]
pub struct Stopper {
    tx: Sender<Message>,
    cancel: Arc<AtomicBool>,
}

impl Stopper {
    /// Cancels the build in flight (frames in flight finish, the cache is
    /// saved) and ends the watch.
    pub fn stop(&self) {
        self.cancel.store(true, Ordering::SeqCst);
        let _ = self.tx.send(Message::Stop);
    }
}

/// A watch, ready to run.
pub struct Watch {
    opts: WatchOptions,
    tx: Sender<Message>,
    rx: Receiver<Message>,
    cancel: Arc<AtomicBool>,
}

impl Watch {
    pub fn new(opts: WatchOptions) -> Watch {
        let (tx, rx) = channel();
        Watch {
            opts,
            tx,
            rx,
            cancel: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn stopper(&self) -> Stopper {
        Stopper {
            tx: self.tx.clone(),
            cancel: self.cancel.clone(),
        }
    }

    /// Builds the site, then rebuilds on changes until stopped. `Err` only
    /// when the site cannot be opened at the start or cannot be watched.
    pub fn run(self, observer: &dyn WatchObserver) -> Result<()> {
        let site = Site::open(&self.opts.root, &self.opts.flags)?;
        let tx = self.tx.clone();
        let config = Config::default().with_timeout(self.opts.debounce);
        let debouncer = new_debouncer_opt(config, move |r: DebounceEventResult| {
            let _ = tx.send(Message::Files(r));
        })
        .map_err(|e| watch_error(&site.root, e))?;
        let mut state = State {
            site,
            flags: self.opts.flags.clone(),
            debouncer,
            cancel: self.cancel.clone(),
            ours: HashMap::new(),
            settled: Settled::default(),
            waiting: BTreeMap::new(),
            unlisted: BTreeSet::new(),
            config_broken: false,
            folders: HashSet::new(),
            built_from: HashMap::new(),
        };
        // Watch before the first build, so nothing written meanwhile is missed.
        let folders = state.watch_folders()?;
        state.build(observer, Vec::new());
        if state.cancelled() {
            return Ok(());
        }
        observer.event(WatchEvent::Watching { folders: &folders });

        while let Ok(first) = self.rx.recv() {
            let mut paths = BTreeSet::new();
            let mut stop = false;
            // Everything already queued is one batch.
            for message in std::iter::once(first).chain(self.rx.try_iter()) {
                match message {
                    Message::Stop => stop = true,
                    Message::Files(Ok(events)) => paths.extend(events.into_iter().map(|e| e.path)),
                    Message::Files(Err(e)) => {
                        observer.event(WatchEvent::Error(&watch_error(&state.site.root, e)))
                    }
                }
            }
            if stop || state.cancelled() {
                break;
            }
            state.changed(observer, paths);
            if state.cancelled() {
                break;
            }
        }
        Ok(())
    }
}

fn watch_error(root: &Path, e: impl std::fmt::Display) -> Error {
    Error::Site {
        path: root.to_path_buf(),
        message: format!("cannot watch for changes: {e}"),
    }
}

struct State {
    site: Site,
    /// The settings given on the command line, kept across reloads.
    flags: Overrides,
    debouncer: Debouncer<ChangesOnly>,
    cancel: Arc<AtomicBool>,
    /// Files our builds wrote (pages), by the hash of what was written:
    /// their events are our own.
    ours: HashMap<PathBuf, String>,
    settled: Settled,
    /// Pages waiting for renders, with the reason last said.
    waiting: BTreeMap<PathBuf, String>,
    /// Stems of unlisted renders already mentioned.
    unlisted: BTreeSet<String>,
    /// `_config.yml` did not read: nothing is built until it does.
    config_broken: bool,
    /// Folders known to exist (a folder not among them is new).
    folders: HashSet<PathBuf>,
    /// The size and modification time of each page and render when its
    /// page was last handed to a build: the same again is no change.
    built_from: HashMap<PathBuf, FileState>,
}

/// A file's size and modification time.
type FileState = (u64, Option<std::time::SystemTime>);

impl State {
    fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::SeqCst)
    }

    /// Watches the root (for `_config.yml` and pages there) and each folder
    /// at the top that can hold pages or renders.
    fn watch_folders(&mut self) -> Result<Vec<PathBuf>> {
        let root = self.site.canonical_root().to_path_buf();
        self.debouncer
            .watcher()
            .watch(&root, RecursiveMode::NonRecursive)
            .map_err(|e| watch_error(&self.site.root, e))?;
        let folders = self.site.watched_folders();
        for dir in &folders {
            self.debouncer
                .watcher()
                .watch(&root.join(dir), RecursiveMode::Recursive)
                .map_err(|e| watch_error(dir, e))?;
            let inside = walkdir::WalkDir::new(root.join(dir)).follow_links(false);
            for entry in inside.into_iter().flatten() {
                if entry.file_type().is_dir() {
                    if let Some(rel) = self.site.rel_of_abs(entry.path()) {
                        self.folders.insert(rel);
                    }
                }
            }
        }
        Ok(folders)
    }

    /// Builds `pages` (the whole site when empty) and reports it; nothing
    /// once the watch is stopping.
    fn build(&mut self, observer: &dyn WatchObserver, pages: Vec<PathBuf>) {
        if self.cancelled() {
            return;
        }
        // The build takes the site's lock itself (and waits for another
        // run's, as `build` does).
        let opts = BuildOptions {
            pages: pages.clone(),
            cancel: Some(self.cancel.clone()),
            ..BuildOptions::default()
        };
        match build(&self.site, &opts, &NoProgress) {
            Ok(report) => {
                for w in report.written.iter().filter(|w| w.kind == PAGE) {
                    let path = PathBuf::from(&w.path);
                    if let Some(bytes) = self.site.read_existing(&path) {
                        self.ours.insert(path, hash(&bytes));
                    }
                }
                observer.event(WatchEvent::Built {
                    pages: &pages,
                    report: &report,
                });
            }
            Err(e) => observer.event(WatchEvent::Error(&e)),
        }
    }

    /// One batch of changed paths (absolute, as the watcher reports them).
    fn changed(&mut self, observer: &dyn WatchObserver, paths: BTreeSet<PathBuf>) {
        let cache = Cache::load(&self.site);
        let mut config = false;
        let mut pages = BTreeSet::new();
        let mut renders = BTreeSet::new();
        let mut files = Vec::new();
        for abs in paths {
            let Some(rel) = self.site.rel_of_abs(&abs) else {
                continue;
            };
            if abs.is_dir() {
                // A folder's own events say only that its entries changed,
                // and those have events of their own; but the files of a
                // new folder may have come before the watch saw it.
                if rel.as_os_str().is_empty() || !self.folders.insert(rel.clone()) {
                    continue;
                }
                if rel.components().count() == 1 {
                    if !self.site.is_watched_folder(&rel) {
                        continue;
                    }
                    let _ = self
                        .debouncer
                        .watcher()
                        .watch(&abs, RecursiveMode::Recursive);
                }
                files.extend(self.site.files_under(&rel));
            } else {
                files.push(rel);
            }
        }
        for rel in files {
            let name = rel
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default();
            if rel == Path::new("_config.yml") {
                config = true;
            } else if name.starts_with(".assetgen") || name == FILE_NAME {
                // The cache, the lock, temporary files: ours.
            } else if rel.starts_with(&self.site.settings.source) && is_png(&rel) {
                if !self.is_ours_in_place(&cache, &rel) && !self.built_from_as_is(&rel) {
                    renders.insert(rel);
                }
            } else if self.site.is_page_path(&rel) {
                if self.is_our_page(&rel) || self.built_from_as_is(&rel) {
                    continue;
                }
                // Changed since we wrote it: whatever it holds now is the user's.
                self.ours.remove(&rel);
                pages.insert(rel);
            }
        }

        if config {
            match Site::open(&self.site.root, &self.flags) {
                Ok(site) => {
                    self.site = site;
                    self.config_broken = false;
                    self.waiting.clear();
                    self.build(observer, Vec::new());
                }
                Err(e) => {
                    self.config_broken = true;
                    observer.event(WatchEvent::Error(&e));
                }
            }
            return;
        }
        if self.config_broken || (pages.is_empty() && renders.is_empty()) {
            return;
        }

        let plan = match Plan::new(&self.site, &[], &cache) {
            Ok(plan) => plan,
            Err(e) => {
                observer.event(WatchEvent::Error(&e));
                return;
            }
        };
        let mut wanted: BTreeSet<PathBuf> = self.waiting.keys().cloned().collect();
        // Changed pages are built even when they no longer plan (a YAML
        // error is then reported by the build); removed ones are not.
        wanted.extend(pages.into_iter().filter(|p| self.site.is_file(p)));
        let mut listed = BTreeSet::new();
        for page in &plan.pages {
            for f in &page.frames {
                listed.insert(f.source.clone());
                if renders.contains(&f.source) {
                    wanted.insert(page.page.clone());
                }
            }
        }
        self.mention_unlisted(observer, &renders, &listed);

        let mut ready = Vec::new();
        for page in wanted {
            let Some(p) = plan.pages.iter().find(|p| p.page == page) else {
                self.waiting.remove(&page);
                // A page that does not plan is built for its error to be
                // reported; one with no gallery has nothing to build.
                if plan.errors.iter().any(|e| e.path() == page) {
                    ready.push(page);
                }
                continue;
            };
            let mut missing = Vec::new();
            let mut unwhole = None;
            for f in &p.frames {
                if !self.site.is_file(&f.source) {
                    missing.push(f.source.clone());
                } else if let Err(why) = self.settled.check(&self.site, &f.source) {
                    unwhole.get_or_insert((f.source.clone(), why));
                }
            }
            let reason = match (missing.first(), unwhole) {
                (Some(first), _) => Some(format!(
                    "waiting for {} of {} frames ({}{})",
                    missing.len(),
                    p.frames.len(),
                    slash(first),
                    if missing.len() > 1 { ", ..." } else { "" }
                )),
                (None, Some((file, why))) => Some(format!("waiting for {}: {why}", slash(&file))),
                (None, None) => None,
            };
            match reason {
                Some(reason) => {
                    if self.waiting.get(&page) != Some(&reason) {
                        observer.event(WatchEvent::Waiting {
                            page: &page,
                            reason: &reason,
                        });
                        self.waiting.insert(page, reason);
                    }
                }
                None => {
                    self.waiting.remove(&page);
                    ready.push(page);
                }
            }
        }
        if !ready.is_empty() {
            // Taken before the build reads them: a change made while it
            // runs then still differs, and builds again.
            for page in &ready {
                let frames = plan.pages.iter().filter(|p| p.page == *page);
                let sources = frames.flat_map(|p| p.frames.iter().map(|f| f.source.clone()));
                for rel in std::iter::once(page.clone()).chain(sources) {
                    match self.site.file_state(&rel) {
                        Some(state) => self.built_from.insert(rel, state),
                        None => self.built_from.remove(&rel),
                    };
                }
            }
            self.build(observer, ready);
        }
    }

    /// True when `rel` is as it was when its page was last handed to a build.
    fn built_from_as_is(&self, rel: &Path) -> bool {
        self.built_from
            .get(rel)
            .is_some_and(|then| self.site.file_state(rel).as_ref() == Some(then))
    }

    /// In place, the optimised copy a build wrote over a render is ours
    /// while it still holds what was written; thumbnails and animations
    /// there are always ours.
    fn is_ours_in_place(&self, cache: &Cache, rel: &Path) -> bool {
        if !self.site.in_place() {
            return false;
        }
        if cache.is_generated(rel) {
            return true;
        }
        self.site
            .read_existing(rel)
            .is_some_and(|bytes| cache.matches(rel, &bytes))
    }

    /// A page our build rewrote, still as written.
    fn is_our_page(&self, rel: &Path) -> bool {
        self.ours.get(rel).is_some_and(|h| {
            self.site
                .read_existing(rel)
                .is_some_and(|bytes| hash(&bytes) == *h)
        })
    }

    fn mention_unlisted(
        &mut self,
        observer: &dyn WatchObserver,
        renders: &BTreeSet<PathBuf>,
        listed: &BTreeSet<PathBuf>,
    ) {
        let mut by_stem: BTreeMap<String, usize> = BTreeMap::new();
        for r in renders {
            if listed.contains(r) || !self.site.is_file(r) {
                continue;
            }
            let Ok(value) = r.strip_prefix(&self.site.settings.source) else {
                continue;
            };
            let stem = match split_frame_number(value) {
                Some((base, _)) => slash(&value.with_file_name(base)),
                None => slash(value),
            };
            *by_stem.entry(stem).or_default() += 1;
        }
        for (stem, renders) in by_stem {
            if self.unlisted.insert(stem.clone()) {
                observer.event(WatchEvent::Unlisted {
                    stem: &stem,
                    renders,
                });
            }
        }
    }
}

/// The platform's watcher, passing on only events that can mean a
/// file's content changed. inotify also reports every open and read, and
/// the mini debouncer passes paths on whatever their event: the build
/// reading pages and renders (and `settle` decoding them) would otherwise
/// start the next build, for ever.
struct ChangesOnly(RecommendedWatcher);

/// An open, a read or a close after reading: the file is as it was.
fn is_read_only(event: &notify::Result<Event>) -> bool {
    match event {
        Ok(e) => {
            matches!(e.kind, EventKind::Access(a) if a != AccessKind::Close(AccessMode::Write))
        }
        Err(_) => false,
    }
}

impl Watcher for ChangesOnly {
    fn new<F: EventHandler>(mut handler: F, config: notify::Config) -> notify::Result<Self> {
        let filtered = move |event: notify::Result<Event>| {
            if !is_read_only(&event) {
                handler.handle_event(event);
            }
        };
        RecommendedWatcher::new(filtered, config).map(ChangesOnly)
    }

    fn watch(&mut self, path: &Path, mode: RecursiveMode) -> notify::Result<()> {
        self.0.watch(path, mode)
    }

    fn unwatch(&mut self, path: &Path) -> notify::Result<()> {
        self.0.unwatch(path)
    }

    fn kind() -> WatcherKind {
        RecommendedWatcher::kind()
    }
}

fn is_png(p: &Path) -> bool {
    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"))
}
