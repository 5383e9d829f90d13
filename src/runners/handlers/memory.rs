//! What a long-lived process keeps of one repository between the events it handles
//! (`adoptbot serve` keeps one [`Memory`] per repository; the CLI and the Action start every
//! run with an empty one). Everything in it is either keyed by something immutable or
//! expires by the injected clock:
//!
//! - **snapshots by commit SHA**: a commit's tree never changes, so the base branch's tarball
//!   is read once and a review event reads no tarball at all. A small LRU, bounded by count
//!   and by bytes.
//! - **analyses by commit SHA and day**: [`crate::analyse`] is a pure function of the two.
//!   Built through one of the repository's two [`crate::load::Cache`]s (one for a base, one
//!   for a head), so that a new commit re-parses only the files whose bytes changed, and
//!   shares its documents with that cache instead of copying them.
//! - **the bot's account** (its numeric id), for the memory's life.
//! - **team members by team**, for [`TEAM_TTL`] by the injected clock: a membership change
//!   counts within that long.
//! - **a pull request's commits by its number and head**, as read while it was open, for the
//!   event of its merge: a head's commits not on the base can only have become fewer since
//!   (the base moved on and took some), so the kept list is the same or more, and more
//!   contributors only means fewer approvals counted.
//!
//! Nothing in it decides anything: the rules still come from the base commit a pull request
//! names, and every pull request, review, comment and check is read from the forge again on
//! every event.

use crate::Analysis;
use crate::load::{Cache, Snapshot};
use crate::model::forge::{Commit, Member};
use crate::plan::branch::Bot;
use chrono::NaiveDate;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::Arc;

/// How long team members read from the forge are trusted, in seconds of the injected clock.
pub const TEAM_TTL: i64 = 5 * 60;

/// The most snapshots kept.
pub const SNAPSHOTS: usize = 4;

/// The most bytes of file contents the kept snapshots hold together; the newest is kept
/// whatever its size.
pub const SNAPSHOT_BYTES: usize = 128 * 1024 * 1024;

/// The most analyses kept (a gate request needs two at once: its base and its head).
pub const ANALYSES: usize = 4;

/// The most document caches kept: one for a pull request's base, one for its head. Each
/// holds the parsed documents of one commit, which the analyses built on it share.
pub const DOCUMENT_CACHES: usize = 2;

/// The most pull requests whose commits are kept.
pub const PULLS: usize = 64;

/// The most teams whose members are kept.
pub const TEAMS: usize = 256;

/// What the memory saved and spent, for tests and logs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Stats {
    /// Snapshots read from the forge, and served from memory.
    pub snapshots_read: u32,
    pub snapshots_kept: u32,
    /// Analyses built, and served from memory.
    pub analyses_built: u32,
    pub analyses_kept: u32,
    /// Files parsed, and files whose parsed document was kept, over every analysis built
    /// through the document cache.
    pub files_parsed: usize,
    pub files_kept: usize,
    /// Team member lists read from the forge, and served from memory.
    pub teams_read: u32,
    pub teams_kept: u32,
}

/// One repository's memory. See the module's documentation.
pub struct Memory {
    snapshots: lru::LruCache<String, Arc<Snapshot>>,
    snapshot_bytes: usize,
    analyses: lru::LruCache<(String, NaiveDate), Arc<Analysis>>,
    /// Parsed documents by path and content hash, at most [`DOCUMENT_CACHES`] of them; `None`
    /// in a one-shot run, which parses the snapshot directly.
    documents: Option<Vec<Cache>>,
    bot: Option<Bot>,
    /// Members by `(org, slug)` in lower case, with the clock's seconds when they were read.
    teams: HashMap<(String, String), (i64, Vec<Member>)>,
    /// Each pull request's commits by its number and head, as read while it was open.
    commits: lru::LruCache<(u64, String), Vec<Commit>>,
    stats: Stats,
}

impl Default for Memory {
    fn default() -> Self {
        Memory::one_shot()
    }
}

fn cap(n: usize) -> NonZeroUsize {
    NonZeroUsize::new(n).unwrap_or(NonZeroUsize::MIN)
}

impl Memory {
    /// The memory of one run of the CLI or the Action: it lasts as long as the run, and
    /// parses each snapshot directly (nothing is kept for a later run).
    pub fn one_shot() -> Memory {
        Memory {
            snapshots: lru::LruCache::new(cap(SNAPSHOTS)),
            snapshot_bytes: 0,
            analyses: lru::LruCache::new(cap(ANALYSES)),
            documents: None,
            bot: None,
            teams: HashMap::new(),
            commits: lru::LruCache::new(cap(PULLS)),
            stats: Stats::default(),
        }
    }

    /// The memory of a long-lived process: parsed documents are kept too, so that a new
    /// commit re-parses only the files that changed.
    pub fn long_lived() -> Memory {
        Memory {
            documents: Some(Vec::new()),
            ..Memory::one_shot()
        }
    }

    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The snapshot of `sha`, when kept.
    pub(crate) fn snapshot(&mut self, sha: &str) -> Option<Arc<Snapshot>> {
        let found = self.snapshots.get(sha).cloned();
        if found.is_some() {
            self.stats.snapshots_kept += 1;
        }
        found
    }

    /// Keeps the snapshot of `sha`, dropping the least recently used ones beyond the bounds.
    pub(crate) fn keep_snapshot(&mut self, sha: &str, snapshot: Arc<Snapshot>) {
        self.stats.snapshots_read += 1;
        let bytes = size_of(&snapshot);
        if let Some((_, old)) = self.snapshots.push(sha.to_string(), snapshot) {
            self.snapshot_bytes -= size_of(&old);
        }
        self.snapshot_bytes += bytes;
        while self.snapshot_bytes > SNAPSHOT_BYTES && self.snapshots.len() > 1 {
            match self.snapshots.pop_lru() {
                Some((_, old)) => self.snapshot_bytes -= size_of(&old),
                None => break,
            }
        }
    }

    /// The analysis of `sha` on `today`, when kept.
    pub(crate) fn analysis(&mut self, sha: &str, today: NaiveDate) -> Option<Arc<Analysis>> {
        let found = self.analyses.get(&(sha.to_string(), today)).cloned();
        if found.is_some() {
            self.stats.analyses_kept += 1;
        }
        found
    }

    /// Analyses `snapshot` (the tree of `sha`) on `today`, through the document cache when
    /// there is one, and keeps the result.
    pub(crate) fn analyse(
        &mut self,
        sha: &str,
        snapshot: &Snapshot,
        today: NaiveDate,
    ) -> Result<Arc<Analysis>, Vec<crate::model::Diagnostic>> {
        let analysis = if self.documents.is_some() {
            let cache = self.free_documents();
            let (_, findings) = crate::analyse_cached(cache, snapshot, today)?;
            // The analysis shares the documents with their cache: no copy. The cache
            // updates them in place for a later commit once no kept analysis holds them.
            let loaded = cache.shared();
            let refresh = cache.last_refresh();
            self.stats.files_parsed += refresh.parsed;
            self.stats.files_kept += refresh.kept;
            Analysis {
                loaded,
                framework: findings.framework,
                evaluation: findings.evaluation,
            }
        } else {
            let a = crate::analyse(snapshot, today)?;
            self.stats.files_parsed += snapshot.contents.len();
            a
        };
        self.stats.analyses_built += 1;
        let analysis = Arc::new(analysis);
        self.analyses
            .put((sha.to_string(), today), analysis.clone());
        Ok(analysis)
    }

    /// A document cache that no kept analysis shares, so that loading a new commit into it
    /// updates its documents in place: one not shared, else a copy of the first while there
    /// are fewer than [`DOCUMENT_CACHES`], else the one freed by forgetting the least recently
    /// used analyses. If every cache is still held (by an analysis the event in progress holds),
    /// the first is used, and its documents are copied once.
    fn free_documents(&mut self) -> &mut Cache {
        let pool = self.documents.get_or_insert_with(Vec::new);
        let i = loop {
            if let Some(i) = pool.iter().position(Cache::is_unshared) {
                break i;
            }
            if pool.len() < DOCUMENT_CACHES {
                // A second cache starts as a copy of the first (its documents are copied
                // once, when it loads its first commit), not empty: no full parse.
                let next = pool.first().cloned().unwrap_or_default();
                pool.push(next);
                break pool.len() - 1;
            }
            if self.analyses.pop_lru().is_none() {
                break 0;
            }
        };
        &mut pool[i]
    }

    /// The commits of pull request `number` at `head`, when kept.
    pub(crate) fn commits(&mut self, number: u64, head: &str) -> Option<Vec<Commit>> {
        self.commits.get(&(number, head.to_string())).cloned()
    }

    pub(crate) fn keep_commits(&mut self, number: u64, head: &str, commits: Vec<Commit>) {
        if !head.is_empty() {
            self.commits.put((number, head.to_string()), commits);
        }
    }

    pub(crate) fn bot(&self) -> Option<&Bot> {
        self.bot.as_ref()
    }

    pub(crate) fn keep_bot(&mut self, bot: Bot) {
        self.bot = Some(bot);
    }

    /// The members of `org/slug` read less than [`TEAM_TTL`] before `now` (seconds).
    pub(crate) fn team(&mut self, org: &str, slug: &str, now: i64) -> Option<Vec<Member>> {
        let key = (org.to_ascii_lowercase(), slug.to_ascii_lowercase());
        let found = self
            .teams
            .get(&key)
            .filter(|(at, _)| fresh(*at, now))
            .map(|(_, m)| m.clone());
        if found.is_some() {
            self.stats.teams_kept += 1;
        }
        found
    }

    pub(crate) fn keep_team(&mut self, org: &str, slug: &str, now: i64, members: Vec<Member>) {
        self.stats.teams_read += 1;
        self.teams.retain(|_, (at, _)| fresh(*at, now));
        if self.teams.len() >= TEAMS {
            self.teams.clear();
        }
        self.teams.insert(
            (org.to_ascii_lowercase(), slug.to_ascii_lowercase()),
            (now, members),
        );
    }
}

/// Whether something read at `at` is still trusted at `now`. A clock that went back counts
/// as stale.
fn fresh(at: i64, now: i64) -> bool {
    now >= at && now - at < TEAM_TTL
}

fn size_of(s: &Snapshot) -> usize {
    s.contents
        .iter()
        .map(|(p, b)| p.len() + b.len())
        .sum::<usize>()
        + s.paths.iter().map(String::len).sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(bytes: usize) -> Arc<Snapshot> {
        let mut s = Snapshot::default();
        s.contents.insert("a.yaml".into(), vec![b'x'; bytes]);
        Arc::new(s)
    }

    #[test]
    fn snapshots_are_bounded_by_count_and_bytes_and_the_newest_is_kept() {
        let mut m = Memory::long_lived();
        for i in 0..SNAPSHOTS + 2 {
            m.keep_snapshot(&format!("sha{i}"), snapshot(10));
        }
        assert!(m.snapshot("sha0").is_none() && m.snapshot("sha1").is_none());
        assert!(m.snapshot(&format!("sha{}", SNAPSHOTS + 1)).is_some());
        assert_eq!(m.snapshots.len(), SNAPSHOTS);
        // One larger than the byte bound drops every other, and stays.
        m.keep_snapshot("big", snapshot(SNAPSHOT_BYTES + 1));
        assert_eq!(m.snapshots.len(), 1);
        assert!(m.snapshot("big").is_some());
        m.keep_snapshot("small", snapshot(10));
        assert!(
            m.snapshot("big").is_none(),
            "over the bound with the new one: dropped"
        );
        assert!(m.snapshot("small").is_some());
        assert!(m.snapshot_bytes <= SNAPSHOT_BYTES);
    }

    fn repo(title: &str) -> Snapshot {
        let mut s = Snapshot::default();
        s.contents.insert(
            "adoption.yaml".into(),
            b"organisation: Contoso\nphase: 1\nroles: {}\n".to_vec(),
        );
        s.contents.insert(
            "radar/vllm.yaml".into(),
            format!("name: {title}\nquadrant: tools\nring: trial\nowner: nina\nlast_reviewed: 2026-11-01\nrationale: fast\n")
                .into_bytes(),
        );
        s.paths = s.contents.keys().cloned().collect();
        s
    }

    #[test]
    fn analyses_share_their_documents_and_a_new_commit_copies_nothing_once_both_caches_are_warm() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut m = Memory::long_lived();
        let base = m.analyse("base", &repo("vLLM"), today).unwrap();
        let head = m.analyse("head-1", &repo("vLLM 2"), today).unwrap();
        // Each analysis shares its documents with its cache.
        assert_eq!(Arc::strong_count(&base.loaded), 2);
        assert_eq!(Arc::strong_count(&head.loaded), 2);
        assert!(!Arc::ptr_eq(&base.loaded, &head.loaded));
        // The event is over; a new head is loaded into the cache the older head analysis
        // held, which is forgotten, and the documents are updated in place.
        let old_head = Arc::as_ptr(&head.loaded);
        drop((base, head));
        let _base = m.analysis("base", today).unwrap();
        let next = m.analyse("head-2", &repo("vLLM 3"), today).unwrap();
        assert_eq!(Arc::as_ptr(&next.loaded), old_head, "updated in place");
        assert!(
            m.analysis("head-1", today).is_none(),
            "the old head is forgotten"
        );
        let titles: Vec<&str> = next
            .loaded
            .repo
            .radar
            .values()
            .map(|r| r.name.as_str())
            .collect();
        assert_eq!(titles, ["vLLM 3"], "{:#?}", next.loaded.diagnostics);
        assert_eq!(m.stats().files_parsed, 2 + 1 + 1, "{:?}", m.stats());
    }

    #[test]
    fn two_caches_of_the_same_commit_do_not_share_documents() {
        // A base and a head with the same tree (a pull request that changes nothing yet):
        // the second cache is a copy, so forgetting one analysis frees its cache.
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap();
        let mut m = Memory::long_lived();
        let a = m.analyse("a", &repo("vLLM"), today).unwrap();
        let b = m.analyse("b", &repo("vLLM"), today).unwrap();
        assert!(!Arc::ptr_eq(&a.loaded, &b.loaded));
        let (pa, pb) = (Arc::as_ptr(&a.loaded), Arc::as_ptr(&b.loaded));
        drop((a, b));
        let c = m.analyse("c", &repo("vLLM 2"), today).unwrap();
        let pc = Arc::as_ptr(&c.loaded);
        assert!(pc == pa || pc == pb, "updated in place, not copied");
        assert!(
            m.analysis("b", today).is_some(),
            "only the oldest analysis is forgotten"
        );
    }

    #[test]
    fn team_members_expire_by_the_clock() {
        let mut m = Memory::one_shot();
        let who = vec![Member {
            login: "lena".into(),
            id: 7,
        }];
        m.keep_team("Contoso", "Sec", 1_000, who.clone());
        assert_eq!(m.team("contoso", "sec", 1_000 + TEAM_TTL - 1), Some(who));
        assert_eq!(m.team("contoso", "sec", 1_000 + TEAM_TTL), None);
        assert_eq!(m.team("contoso", "sec", 999), None, "a clock gone back");
        assert_eq!(m.stats().teams_read, 1);
        assert_eq!(m.stats().teams_kept, 1);
    }
}
