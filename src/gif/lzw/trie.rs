//! The LZW dictionary as a trie, with the bookkeeping the lossy search needs.
//!
//! Each code knows its first child, next sibling, parent, the value it
//! appends, its string's first value and how much longer the longest
//! string below it is (so the search can skip branches that cannot win);
//! a hash of (parent, value) answers the exact lookups most steps are.

use super::{MAX_CODES, NONE};

/// The dictionary as a trie (each code's first child, next sibling,
/// parent and the pixel value it appends), plus a hash of (parent, value)
/// for the exact lookups that most steps are.
pub(super) struct Trie {
    pub(super) first_child: Vec<u16>,
    pub(super) next_sibling: Vec<u16>,
    pub(super) parent: Vec<u16>,
    pub(super) value: Vec<u8>,
    /// The first value of each code's string.
    pub(super) first: Vec<u8>,
    /// Number of children of each code.
    pub(super) children: Vec<u16>,
    /// How much longer than its own the longest string below each code is
    /// (saturating): lets the lossy search skip branches that cannot win.
    pub(super) height: Vec<u8>,
    /// Open addressing: `key << 12 | code`, 0 = empty.
    pub(super) hash: Vec<u32>,
}

const HASH_BITS: u32 = 13;

impl Trie {
    pub(super) fn new() -> Self {
        Trie {
            first_child: vec![NONE; MAX_CODES],
            next_sibling: vec![NONE; MAX_CODES],
            parent: vec![NONE; MAX_CODES],
            value: vec![0; MAX_CODES],
            first: (0..MAX_CODES).map(|c| c as u8).collect(),
            height: vec![0; MAX_CODES],
            children: vec![0; MAX_CODES],
            hash: vec![0; 1 << HASH_BITS],
        }
    }

    pub(super) fn reset(&mut self, used: usize) {
        self.first_child[..used].fill(NONE);
        self.height[..used].fill(0);
        self.children[..used].fill(0);
        self.hash.fill(0);
    }

    #[inline]
    fn slot(key: u32) -> usize {
        (key.wrapping_mul(0x9E37_79B1) >> (32 - HASH_BITS)) as usize
    }

    pub(super) fn add(&mut self, parent: u16, value: u8, code: u16) {
        let (p, c) = (usize::from(parent), usize::from(code));
        self.value[c] = value;
        self.parent[c] = parent;
        self.first[c] = self.first[p];
        self.height[c] = 0;
        self.children[c] = 0;
        self.children[p] += 1;
        let (mut node, mut h) = (parent, 1u8);
        while node != NONE && self.height[usize::from(node)] < h {
            self.height[usize::from(node)] = h;
            h = h.saturating_add(1);
            node = self.parent[usize::from(node)];
        }
        self.first_child[c] = NONE;
        self.next_sibling[c] = self.first_child[p];
        self.first_child[p] = code;
        let key = u32::from(parent) << 8 | u32::from(value);
        let mut s = Self::slot(key);
        while self.hash[s] != 0 {
            s = (s + 1) & ((1 << HASH_BITS) - 1);
        }
        self.hash[s] = key << 12 | u32::from(code);
    }

    /// The child of `parent` that appends `value`.
    #[inline]
    pub(super) fn find(&self, parent: u16, value: u8) -> Option<u16> {
        let key = u32::from(parent) << 8 | u32::from(value);
        let mut s = Self::slot(key);
        loop {
            let e = self.hash[s];
            if e == 0 {
                return None;
            }
            if e >> 12 == key {
                return Some((e & 0xfff) as u16);
            }
            s = (s + 1) & ((1 << HASH_BITS) - 1);
        }
    }
}
