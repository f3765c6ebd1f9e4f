//! The longest dictionary string a pixel run accepts.
//!
//! A string is accepted where each of its values equals the pixel, or the
//! pixel's alternative (what the screen already shows, for differenced
//! pixels), or (lossy) is within the pixel's own limit of that
//! alternative. The search is depth-first over the trie, exact child
//! first, within a node budget; where a pixel accepts one value only (the
//! common case) a step is a hash lookup, not a walk over the children.

use super::trie::Trie;
use super::{Lossy, NONE};

/// How far the lossy search may look for one string, in trie nodes visited;
/// bounds the worst case on flat areas where every child is close.
pub(super) const SEARCH_BUDGET: usize = 256;

pub(super) struct Search<'a> {
    pub(super) trie: Trie,
    /// (code, length of its string), reused between searches.
    pub(super) stack: Vec<(u16, usize)>,
    /// A string's values, reused by `repeats`.
    pub(super) string: Vec<u8>,
    pub(super) budget: usize,
    pub(super) clear: u16,
    pub(super) pixels: &'a [u8],
    pub(super) alt: &'a [u8],
    pub(super) lossy: Option<Lossy<'a>>,
}

impl Search<'_> {
    /// Longest dictionary string at `pos` that renders acceptably: each
    /// value equal to the pixel, to its alternative, or (lossy) within the
    /// pixel's limit of the alternative. The first value is always the
    /// exact pixel, because the previous code's new dictionary entry
    /// already ends with it. Depth-first, trying the exact child first,
    /// within a node budget; where a pixel accepts one value only (the
    /// common case) the step is a hash lookup instead of a walk over the
    /// children.
    pub(super) fn run(&mut self, pos: usize) -> (u16, usize) {
        let (pixels, alt) = (self.pixels, self.alt);
        let (want, other) = (pixels[pos], alt[pos]);
        let limit = self.lossy.map_or(0, |l| l.limits[pos]);
        let mut best = (u16::from(want), 1);
        let mut budget = self.budget;
        self.stack.clear();
        // First values: the exact pixel is explored first, then its
        // alternative, then close colours nearest first, each of those
        // only once the strings found so far are known (most cannot beat
        // them, and are never pushed).
        if other != want {
            self.stack.push((u16::from(other), 1));
        }
        self.stack.push((u16::from(want), 1));
        let mut close = match self.lossy {
            Some(l) if limit > 0 => l.tolerance.within(other, limit),
            _ => &[],
        }
        .iter();
        loop {
            let trie = &self.trie;
            let next = self.stack.pop().or_else(|| {
                close
                    .find(|&&(_, v)| v != want && 1 + trie.height(u16::from(v)) > best.1)
                    .map(|&(_, v)| (u16::from(v), 1))
            });
            let Some((code, len)) = next else { break };
            // Strings below this node are at most `height` longer: when
            // that cannot beat the best found, the branch is skipped.
            if len + self.trie.height(code) <= best.1 {
                continue;
            }
            let (mut code, mut len) = (code, len);
            // Single-candidate steps: follow the exact child.
            loop {
                let q = pos + len;
                if q >= pixels.len() {
                    break;
                }
                let limit = self.lossy.map_or(0, |l| l.limits[q]);
                if pixels[q] != alt[q] || limit != 0 {
                    break;
                }
                match self.trie.find(code, pixels[q]) {
                    Some(c) => {
                        code = c;
                        len += 1;
                    }
                    None => break,
                }
            }
            if len > best.1 {
                best = (code, len);
            }
            let q = pos + len;
            if q >= pixels.len() {
                continue;
            }
            let (want, other) = (pixels[q], alt[q]);
            let limit = self.lossy.map_or(0, |l| l.limits[q]);
            if want == other && limit == 0 {
                continue; // the exact child is missing: this string ends here
            }
            if budget == 0 {
                break;
            }
            budget -= 1;
            let mut exact = None;
            if limit == 0 {
                // Only the pixel or its alternative will do.
                exact = self.trie.find(code, want);
                if let Some(c) = self.trie.find(code, other) {
                    self.stack.push((c, len + 1));
                }
            } else if let Some(l) = self.lossy {
                let near = l.tolerance.within(other, limit);
                let worth = |t: &Trie, c: u16| len + 1 + t.height(c) > best.1;
                if near.len() + 2 < usize::from(self.trie.children(code)) {
                    // Fewer acceptable values than children: look them up.
                    exact = self.trie.find(code, want);
                    for &(_, v) in near.iter().rev().chain([&(0, other)]) {
                        if v == want {
                            continue;
                        }
                        if let Some(c) = self.trie.find(code, v) {
                            if worth(&self.trie, c) {
                                self.stack.push((c, len + 1));
                            }
                        }
                    }
                } else {
                    let mut c = self.trie.first_child(code);
                    while c != NONE {
                        let v = self.trie.value(c);
                        if v == want {
                            exact = Some(c);
                        } else if l.tolerance.ok(v, other, limit) && worth(&self.trie, c) {
                            self.stack.push((c, len + 1));
                        }
                        c = self.trie.next_sibling(c);
                    }
                }
            }
            // Pushed last, so explored first.
            if let Some(c) = exact {
                self.stack.push((c, len + 1));
            }
        }
        best
    }

    /// Whether the pixels at `pos` accept `code`'s string (of length
    /// `len`) followed by its own first value.
    pub(super) fn repeats(&mut self, code: u16, len: usize, pos: usize) -> bool {
        if pos + len >= self.pixels.len() {
            return false;
        }
        let mut string = std::mem::take(&mut self.string);
        string.clear();
        string.resize(len, 0);
        self.write_string(code, &mut string, self.clear);
        self.string = string;
        let first = self.string[0];
        let accepts = |q: usize, v: u8| {
            let (want, other) = (self.pixels[q], self.alt[q]);
            v == want
                || v == other
                || self
                    .lossy
                    .is_some_and(|l| l.limits[q] > 0 && l.tolerance.ok(v, other, l.limits[q]))
        };
        self.string
            .iter()
            .enumerate()
            .all(|(k, &v)| accepts(pos + k, v))
            && accepts(pos + len, first)
    }

    /// Writes the values of `code`'s string into `out` (its length).
    pub(super) fn write_string(&self, mut code: u16, out: &mut [u8], clear: u16) {
        for o in out.iter_mut().rev() {
            if code < clear {
                *o = code as u8;
                break;
            }
            *o = self.trie.value(code);
            code = self.trie.parent(code);
        }
    }
}
