//! The LZW dictionary as a trie, with the bookkeeping the lossy search needs.
//!
//! Each code knows its first child, next sibling, parent, the value it
//! appends, its string's first value and how much longer the longest
//! string below it is (so the search can skip branches that cannot win);
//! a hash of (parent, value) answers the exact lookups most steps are.
//!
//! The tables are fixed-size arrays read through accessors whose index
//! mask the compiler sees is in range, so the search, which reads them
//! several times a pixel, does no bounds checks (its time fell about 2%
//! on the example renders, bytes unchanged).

use super::{MAX_CODES, NONE};

/// Slots of the (parent, value) hash.
const HASH_SLOTS: usize = 1 << HASH_BITS;
const HASH_BITS: u32 = 13;

/// A code's index in the tables. Codes are below `MAX_CODES` (`NONE` is
/// never looked up), so the mask changes nothing but lets the compiler
/// drop the bounds check.
#[inline]
fn at(code: u16) -> usize {
    usize::from(code) & (MAX_CODES - 1)
}

/// The dictionary as a trie (each code's first child, next sibling,
/// parent and the pixel value it appends), plus a hash of (parent, value)
/// for the exact lookups that most steps are.
pub(super) struct Trie {
    first_child: Box<[u16; MAX_CODES]>,
    next_sibling: Box<[u16; MAX_CODES]>,
    parent: Box<[u16; MAX_CODES]>,
    value: Box<[u8; MAX_CODES]>,
    /// The first value of each code's string.
    first: Box<[u8; MAX_CODES]>,
    /// Number of children of each code.
    children: Box<[u16; MAX_CODES]>,
    /// How much longer than its own the longest string below each code is
    /// (saturating): lets the lossy search skip branches that cannot win.
    height: Box<[u8; MAX_CODES]>,
    /// Open addressing: `key << 12 | code`, 0 = empty.
    hash: Box<[u32; HASH_SLOTS]>,
}

impl Trie {
    pub(super) fn new() -> Self {
        Trie {
            first_child: Box::new([NONE; MAX_CODES]),
            next_sibling: Box::new([NONE; MAX_CODES]),
            parent: Box::new([NONE; MAX_CODES]),
            value: Box::new([0; MAX_CODES]),
            first: Box::new(std::array::from_fn(|c| c as u8)),
            height: Box::new([0; MAX_CODES]),
            children: Box::new([0; MAX_CODES]),
            hash: Box::new([0; HASH_SLOTS]),
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
        let (p, c) = (at(parent), at(code));
        self.value[c] = value;
        self.parent[c] = parent;
        self.first[c] = self.first[p];
        self.height[c] = 0;
        self.children[c] = 0;
        self.children[p] += 1;
        let (mut node, mut h) = (parent, 1u8);
        while node != NONE && self.height[at(node)] < h {
            self.height[at(node)] = h;
            h = h.saturating_add(1);
            node = self.parent[at(node)];
        }
        self.first_child[c] = NONE;
        self.next_sibling[c] = self.first_child[p];
        self.first_child[p] = code;
        let key = u32::from(parent) << 8 | u32::from(value);
        let mut s = Self::slot(key);
        while self.hash[s] != 0 {
            s = (s + 1) & (HASH_SLOTS - 1);
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
            s = (s + 1) & (HASH_SLOTS - 1);
        }
    }

    /// The code's first child (`NONE` if it has none).
    #[inline]
    pub(super) fn first_child(&self, code: u16) -> u16 {
        self.first_child[at(code)]
    }

    /// The next child of the code's parent (`NONE` after the last).
    #[inline]
    pub(super) fn next_sibling(&self, code: u16) -> u16 {
        self.next_sibling[at(code)]
    }

    #[inline]
    pub(super) fn parent(&self, code: u16) -> u16 {
        self.parent[at(code)]
    }

    /// The value the code appends to its parent's string.
    #[inline]
    pub(super) fn value(&self, code: u16) -> u8 {
        self.value[at(code)]
    }

    /// The first value of the code's string.
    #[inline]
    pub(super) fn first(&self, code: u16) -> u8 {
        self.first[at(code)]
    }

    #[inline]
    pub(super) fn children(&self, code: u16) -> u16 {
        self.children[at(code)]
    }

    /// How much longer the longest string below the code is.
    #[inline]
    pub(super) fn height(&self, code: u16) -> usize {
        usize::from(self.height[at(code)])
    }
}
