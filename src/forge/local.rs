//! The local forge: a git repository where pull requests are branches plus records kept under `.git/adoptbot/`. The embedded default, with no network.
