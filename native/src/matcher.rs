//! Aho-Corasick multi-word search (`service/text/matcher.py`): every occurrence of every word
//! in a text, as (end, value) with `end` the code point index of the match's last character,
//! in the order pyahocorasick's `Automaton.iter` gives them (by end; at one end, longest first).
//!
//! The text is read as code points (`PyUnicode_AsUCS4Copy`), so any str works (lone surrogates
//! too) and offsets are Python's.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyList, PyString, PyTuple};
use std::collections::HashMap;

use crate::text::code_points;
use crate::FxBuild;

const NONE: u32 = u32::MAX;
const ROOT: u32 = 0;
// Nodes this shallow (the root, one and two characters) get a full transition row (fail links
// resolved): the search is mostly there, and the rows stay small (symbols x nodes).
const DENSE_DEPTH: usize = 3;

#[derive(Clone, Copy)]
struct Node {
    first: u32, // its first edge (edges sorted by symbol, the next node's first ends them)
    sym1: u32,  // the first edge's symbol and child, kept here: most nodes have one child
    child1: u32,
    fail: u32,
    word: u32, // index of the word ending here (NONE: none)
    dict: u32, // nearest node on its fail chain where a word ends (NONE: none)
}

#[pyclass(module = "news_enricher_native", frozen)]
pub struct Matcher {
    // Characters of the words as dense symbols 1.. (0: a character in no word).
    bmp: Vec<u32>,                      // code point < 0x10000 -> symbol
    astral: HashMap<u32, u32, FxBuild>, // the others
    n_syms: usize,
    n_dense: u32,      // nodes 0..n_dense (breadth-first numbering) have a row in `dense`
    dense: Vec<u32>,   // (n_dense, n_syms): the next node for every symbol
    nodes: Vec<Node>,  // breadth-first order, plus a sentinel
    edges: Vec<(u32, u32)>, // (symbol, child)
    max_len: usize, // characters of the longest word
    values: Vec<Py<PyAny>>,
}

impl Matcher {
    #[inline]
    fn symbol(&self, c: u32) -> u32 {
        if c < 0x10000 {
            self.bmp[c as usize]
        } else {
            self.astral.get(&c).copied().unwrap_or(0)
        }
    }

    /// The child of `node` by `sym` in the trie (no fail links), or NONE.
    #[inline]
    fn child(&self, node: u32, sym: u32) -> u32 {
        let n = &self.nodes[node as usize];
        if n.sym1 == sym {
            return n.child1;
        }
        let (a, b) = (n.first as usize + 1, self.nodes[node as usize + 1].first as usize);
        if a >= b {
            return NONE;
        }
        let e = &self.edges[a..b];
        if e.len() <= 8 {
            for &(s, c) in e {
                if s == sym {
                    return c;
                }
            }
            NONE
        } else {
            match e.binary_search_by_key(&sym, |&(s, _)| s) {
                Ok(k) => e[k].1,
                Err(_) => NONE,
            }
        }
    }

    /// The state after `state` reads the character `c`.
    #[inline]
    fn step(&self, mut state: u32, c: u32) -> u32 {
        let sym = self.symbol(c);
        if sym == 0 {
            return ROOT; // no word holds this character: every match attempt ends here
        }
        loop {
            if state < self.n_dense {
                return self.dense[state as usize * self.n_syms + sym as usize];
            }
            let next = self.child(state, sym);
            if next != NONE {
                return next;
            }
            state = self.nodes[state as usize].fail;
        }
    }

    /// The words ending at `state`, longest first, as (end, word index).
    #[inline]
    fn emit(&self, state: u32, end: usize, out: &mut Vec<(usize, u32)>) {
        let node = self.nodes[state as usize];
        if node.word != NONE {
            out.push((end, node.word));
        }
        let mut o = node.dict;
        while o != NONE {
            let n = self.nodes[o as usize];
            out.push((end, n.word));
            o = n.dict;
        }
    }

    /// (end, word index) of every match in `text` (code points), pyahocorasick's order.
    ///
    /// Each step's node depends on the one before, and in a large automaton most are cache
    /// misses: so the text is cut into STREAMS parts searched in lockstep (their misses overlap).
    /// A part's search starts `max_len - 1` characters before the part (from the root): the
    /// state at any position of the part is then the one a search from the text's start has,
    /// since a state is at most `max_len` characters long; matches are taken only in the part.
    pub(crate) fn find_chars(&self, text: &[u32]) -> Vec<(usize, u32)> {
        const STREAMS: usize = 4;
        let n = text.len();
        let warm = self.max_len.saturating_sub(1);
        let mut outs: [Vec<(usize, u32)>; STREAMS] = Default::default();
        if n < STREAMS * 4 * (warm + 1) {
            let mut state = ROOT;
            for (i, &c) in text.iter().enumerate() {
                state = self.step(state, c);
                self.emit(state, i, &mut outs[0]);
            }
            return std::mem::take(&mut outs[0]);
        }
        let bounds: [usize; STREAMS + 1] = std::array::from_fn(|k| n * k / STREAMS);
        let mut pos: [usize; STREAMS] = std::array::from_fn(|k| bounds[k].saturating_sub(warm));
        let mut state = [ROOT; STREAMS];
        // the last part is the longest (bounds round down): run until it is done
        while pos[STREAMS - 1] < n {
            for k in 0..STREAMS {
                let i = pos[k];
                if i < bounds[k + 1] {
                    state[k] = self.step(state[k], text[i]);
                    if i >= bounds[k] {
                        self.emit(state[k], i, &mut outs[k]);
                    }
                    pos[k] = i + 1;
                }
            }
        }
        let mut out = Vec::with_capacity(outs.iter().map(Vec::len).sum());
        for o in outs {
            out.extend(o);
        }
        out
    }
}

#[pymethods]
impl Matcher {
    /// `items`: (word, value) pairs, words non-empty and distinct.
    #[new]
    fn new(items: Vec<(String, Py<PyAny>)>) -> PyResult<Self> {
        // dense symbols, in order of first appearance
        let mut sym_of: HashMap<u32, u32, FxBuild> = HashMap::default();
        let mut words: Vec<Vec<u32>> = Vec::with_capacity(items.len());
        let mut values = Vec::with_capacity(items.len());
        for (w, v) in items {
            if w.is_empty() {
                return Err(PyValueError::new_err("Matcher: an empty word"));
            }
            let syms = w
                .chars()
                .map(|c| {
                    let n = sym_of.len() as u32 + 1;
                    *sym_of.entry(c as u32).or_insert(n)
                })
                .collect();
            words.push(syms);
            values.push(v);
        }
        let n_syms = sym_of.len() + 1;
        let max_len = words.iter().map(Vec::len).max().unwrap_or(0);
        // the trie in insertion order, children in hash maps while building
        let mut children: Vec<HashMap<u32, u32, FxBuild>> = vec![HashMap::default()];
        let mut word = vec![NONE];
        for (k, w) in words.iter().enumerate() {
            let mut node = 0usize;
            for &s in w {
                node = match children[node].get(&s) {
                    Some(&c) => c as usize,
                    None => {
                        let c = children.len();
                        children.push(HashMap::default());
                        word.push(NONE);
                        children[node].insert(s, c as u32);
                        c
                    }
                };
            }
            if word[node] != NONE {
                return Err(PyValueError::new_err("Matcher: a word given twice"));
            }
            word[node] = k as u32;
        }
        // Numbering: breadth-first down to DENSE_DEPTH (the rows), then depth-first below, so
        // that walking down a word mostly stays in the same cache lines (a first child is the
        // next node).
        let n = children.len();
        let sorted = |old: usize| {
            let mut e: Vec<(u32, u32)> = children[old].iter().map(|(&s, &c)| (s, c)).collect();
            e.sort_unstable();
            e
        };
        let mut order = vec![0u32]; // new number -> old
        let mut depth = vec![0usize];
        let mut k = 0;
        while k < order.len() {
            if depth[k] < DENSE_DEPTH {
                for (_, c) in sorted(order[k] as usize) {
                    order.push(c);
                    depth.push(depth[k] + 1);
                }
            }
            k += 1;
        }
        let n_shallow = order.len();
        for k in 0..n_shallow {
            if depth[k] != DENSE_DEPTH {
                continue;
            }
            let mut stack: Vec<(u32, usize)> = sorted(order[k] as usize).into_iter().rev().map(|(_, c)| (c, DENSE_DEPTH + 1)).collect();
            while let Some((old, d)) = stack.pop() {
                order.push(old);
                depth.push(d);
                stack.extend(sorted(old as usize).into_iter().rev().map(|(_, c)| (c, d + 1)));
            }
        }
        debug_assert_eq!(order.len(), n);
        let mut new_of = vec![0u32; n];
        for (new, &old) in order.iter().enumerate() {
            new_of[old as usize] = new as u32;
        }
        let mut nodes = Vec::with_capacity(n + 1);
        let mut edges = Vec::new();
        for &old in &order {
            let e: Vec<(u32, u32)> = sorted(old as usize).into_iter().map(|(s, c)| (s, new_of[c as usize])).collect();
            let (sym1, child1) = e.first().copied().unwrap_or((0, NONE));
            nodes.push(Node { first: edges.len() as u32, sym1, child1, fail: ROOT, word: word[old as usize], dict: NONE });
            edges.extend(e);
        }
        nodes.push(Node { first: edges.len() as u32, sym1: 0, child1: NONE, fail: ROOT, word: NONE, dict: NONE });
        let n_dense = n_shallow as u32;
        let mut m = Matcher {
            bmp: vec![0u32; 0x10000],
            astral: HashMap::default(),
            n_syms,
            n_dense: 0, // set below, once the fail links are known
            dense: Vec::new(),
            nodes,
            edges,
            max_len,
            values,
        };
        for (&c, &s) in &sym_of {
            if c < 0x10000 {
                m.bmp[c as usize] = s;
            } else {
                m.astral.insert(c, s);
            }
        }
        // fail and dictionary links, breadth first (a node's fail node is shallower: done first)
        let mut by_depth: Vec<u32> = (0..n as u32).collect();
        by_depth.sort_by_key(|&u| depth[u as usize]);
        for u in by_depth {
            let (a, b) = (m.nodes[u as usize].first as usize, m.nodes[u as usize + 1].first as usize);
            for k in a..b {
                let (s, v) = m.edges[k];
                let target = if u == ROOT {
                    ROOT
                } else {
                    let mut f = m.nodes[u as usize].fail;
                    loop {
                        let t = m.child(f, s);
                        if t != NONE {
                            break t;
                        }
                        if f == ROOT {
                            break ROOT;
                        }
                        f = m.nodes[f as usize].fail;
                    }
                };
                let t = m.nodes[target as usize];
                let node = &mut m.nodes[v as usize];
                node.fail = target;
                node.dict = if t.word != NONE { target } else { t.dict };
            }
        }
        // full rows of the shallow nodes: child, else the row of the fail node (shallower, done)
        let mut dense = vec![ROOT; n_dense as usize * n_syms];
        for u in 0..n_dense {
            for s in 1..n_syms as u32 {
                let c = m.child(u, s);
                dense[u as usize * n_syms + s as usize] = if c != NONE {
                    c
                } else if u == ROOT {
                    ROOT
                } else {
                    dense[m.nodes[u as usize].fail as usize * n_syms + s as usize]
                };
            }
        }
        m.dense = dense;
        m.n_dense = n_dense;
        Ok(m)
    }

    /// Number of words.
    fn __len__(&self) -> usize {
        self.values.len()
    }

    /// Every match in `text`: a list of (end, value), `end` the index of its last character.
    fn iter<'py>(&self, py: Python<'py>, text: &Bound<'py, PyString>) -> PyResult<Bound<'py, PyList>> {
        let found = self.find_chars(&code_points(py, text)?);
        let items = found.into_iter().map(|(end, w)| {
            PyTuple::new(py, [end.into_pyobject(py).unwrap().into_any(), self.values[w as usize].bind(py).clone()])
        });
        let tuples: PyResult<Vec<Bound<'py, PyTuple>>> = items.collect();
        PyList::new(py, tuples?)
    }
}
