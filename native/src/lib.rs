//! Native inference for news-enricher's sequence tagger (`service/entities/tagger.py`,
//! docs/tagger.md): tokenizing, the word-type -> score-block cache, emissions, the certain-O
//! test, Viterbi over the uncertain stretches and the spans, with the same float32 additions in
//! the same order and the same tie-break as the Python code, so the same output.
//!
//! What stays in Python: the features and score blocks of word types not seen before (the
//! caller computes them with `TaggerModel._word_blocks` and hands them over), the character
//! classes (`\w`, `\s` as Python's `re` defines them, passed in as bitmaps at load time) and
//! the span scores' softmax (numpy, from the rows this module returns).

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyBytes;
use std::collections::HashMap;

mod feats;
mod langid;
mod matcher;
mod text;

/// FxHash (rustc's hasher): the word-type map is looked up once per token, and SipHash's
/// protection against crafted collisions buys nothing for a bounded cache of words.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl std::hash::Hasher for FxHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let v = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ v).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(K);
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.0 = (self.0.rotate_left(5) ^ i as u64).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

pub type FxBuild = std::hash::BuildHasherDefault<FxHasher>;

const NL: usize = 9; // labels: O, B-/I- of PERSON, ORG, LOC, MISC
const NY: usize = NL - 1; // labels other than O
const NOFF: usize = 5; // offsets -2..+2
const BLOCK: usize = NOFF * NL;
const WINDOW: usize = 2;
const CODE_POINTS: usize = 0x110000;
const N_BUCKETS: usize = 1 << 20; // features.N_BUCKETS

fn f32s(b: &[u8], n: usize, what: &str) -> PyResult<Vec<f32>> {
    if b.len() != 4 * n {
        return Err(PyValueError::new_err(format!("{what}: {} bytes, expected {}", b.len(), 4 * n)));
    }
    Ok(b.chunks_exact(4).map(|c| f32::from_ne_bytes([c[0], c[1], c[2], c[3]])).collect())
}

fn bits(b: &[u8], what: &str) -> PyResult<Vec<u8>> {
    if b.len() != CODE_POINTS / 8 {
        return Err(PyValueError::new_err(format!("{what}: {} bytes, expected {}", b.len(), CODE_POINTS / 8)));
    }
    Ok(b.to_vec())
}

#[inline]
fn has(bitmap: &[u8], c: char) -> bool {
    let i = c as usize;
    bitmap[i >> 3] >> (i & 7) & 1 == 1
}

/// One token: byte range in the text, code point range, whether a line break precedes it
/// (since the previous token).
struct Token {
    b0: usize,
    b1: usize,
    c0: usize,
    c1: usize,
    nl_before: bool,
}

/// The tagger of one language model.
#[pyclass(module = "news_enricher_native")]
pub struct Tagger {
    word: Vec<u8>,  // bitmap over code points: Python re's \w
    space: Vec<u8>, // bitmap over code points: Python re's \s (= str.split's whitespace)
    trans: Vec<f32>, // (9, 9) previous -> next
    start: Vec<f32>,
    end: Vec<f32>,
    keep: Vec<f32>, // (2, 9, 8): side, neighbour label u, label y != O
    swap: Vec<f32>,
    first: Vec<f32>, // (8,)
    last: Vec<f32>,
    into: Vec<f32>,  // (10, 9): transition into a token from each previous label, row 9 = start
    out_t: Vec<f32>, // (10, 9): transition out of a token to each next label, row 9 = end
    temperature: f32, // span scores' softmax temperature (numpy divides by it in float32)
    bos: Vec<f32>,   // (5, 9) blocks of the padding word types
    eos: Vec<f32>,
    index: HashMap<String, u32, FxBuild>,
    blocks: Vec<f32>, // (len(index), 5, 9)
    limit: usize,
    lex: Option<Lex>, // set by `set_lexicon`: then new word types' blocks are computed here
}

/// What a character is to the features, for the characters whose words are computed natively
/// (table from Python, see `set_lexicon`): shape class, lower-case form, flags.
#[derive(Clone, Copy)]
struct CharInfo {
    class: u8,   // features._char_class: b'd', b'X', b'x', b'a', b'o' or b'p'
    lower: char, // str.lower() of the character (always one character in the table)
    upper: bool, // str.isupper()
    arabic: bool, // matched by features._AR_LETTERS
}

/// The feature data of one language (features.Lexicon) and the weights (`_row_of`, `_weights0`).
struct Lex {
    chars: Vec<Option<CharInfo>>, // by code point, up to the highest one in the table
    triggers: HashMap<String, Vec<String>, FxBuild>, // word -> cue classes
    gazetteer: HashMap<String, Vec<String>, FxBuild>, // word -> sorted KB tags
    names: std::collections::HashSet<String, FxBuild>,
    common: std::collections::HashSet<String, FxBuild>,
    clusters: HashMap<u32, Vec<i64>, FxBuild>,
    row_of: Vec<u32>,  // hashed feature id -> row of `weights` (the last row is zero)
    weights: Vec<f32>, // (rows + 1, 9)
    prefix_crc: [u32; NOFF],
    prefix_shift: Vec<Vec<u32>>, // per offset: feats::zero_shifts of its prefix crc
}

impl Tagger {
    fn tokenize(&self, text: &str) -> Vec<Token> {
        // \w+(?:['\-]\w+){0,4}|[^\w\s] with Python's classes; offsets in code points.
        let cs: Vec<(usize, char)> = text.char_indices().collect();
        let n = cs.len();
        let byte_at = |i: usize| if i < n { cs[i].0 } else { text.len() };
        let w = |i: usize| has(&self.word, cs[i].1);
        let mut out = Vec::with_capacity(n / 4 + 1);
        let mut i = 0;
        let mut nl = false;
        while i < n {
            let c = cs[i].1;
            if has(&self.space, c) {
                nl |= c == '\n';
                i += 1;
                continue;
            }
            let s = i;
            i += 1;
            if has(&self.word, c) {
                while i < n && w(i) {
                    i += 1;
                }
                for _ in 0..4 {
                    if i + 1 < n && (cs[i].1 == '\'' || cs[i].1 == '-') && w(i + 1) {
                        i += 2;
                        while i < n && w(i) {
                            i += 1;
                        }
                    } else {
                        break;
                    }
                }
            }
            out.push(Token { b0: byte_at(s), b1: byte_at(i), c0: s, c1: i, nl_before: nl });
            nl = false;
        }
        out
    }

    fn reset(&mut self) {
        self.index = HashMap::default();
        self.blocks = Vec::new();
    }

    /// Emission matrix (n, 9): the token's own block at offset 0, then its neighbours' at
    /// offsets -2, -1, +1, +2, added in that order (as tagger.emissions does).
    fn emissions(&self, rows: &[u32]) -> Vec<f32> {
        let n = rows.len();
        // The tokens' blocks copied together first: the cache (megabytes, mostly out of the
        // CPU's caches between articles) is read in one tight loop whose misses overlap.
        let mut own = Vec::with_capacity(n * BLOCK);
        for &r in rows {
            let r = r as usize * BLOCK;
            own.extend_from_slice(&self.blocks[r..r + BLOCK]);
        }
        let block = |p: isize| -> &[f32] {
            // p: position in the padded sequence (two BOS, the tokens, two EOS) minus WINDOW
            if p < 0 {
                &self.bos
            } else if p as usize >= n {
                &self.eos
            } else {
                let r = p as usize * BLOCK;
                &own[r..r + BLOCK]
            }
        };
        let mut e = vec![0f32; n * NL];
        for i in 0..n {
            let own = block(i as isize);
            let out = &mut e[i * NL..(i + 1) * NL];
            out.copy_from_slice(&own[WINDOW * NL..(WINDOW + 1) * NL]);
            for j in 0..NOFF {
                if j == WINDOW {
                    continue;
                }
                let k = j as isize - WINDOW as isize;
                let b = &block(i as isize + k)[j * NL..(j + 1) * NL];
                for y in 0..NL {
                    out[y] += b[y];
                }
            }
        }
        e
    }

    /// `_uncertain_stretches`: the certain-O test, the same float32 sums in the same order.
    /// The bound each neighbour j puts on its token (min over its label u of the better of
    /// keeping u or making it O too) depends on j and the side only, so it is computed once per
    /// token and side, eight labels y at a time (min and max are exact: their order does not
    /// matter); then each token adds d, the left bound, the right bound, the first/last terms
    /// in that order, as the Python code does.
    fn stretches(&self, e: &[f32], n: usize) -> Vec<(usize, usize)> {
        let mut d = vec![0f32; n * NL]; // d[i, u] = e[i, O] - e[i, u]
        for i in 0..n {
            for u in 0..NL {
                d[i * NL + u] = e[i * NL] - e[i * NL + u];
            }
        }
        // bound[side][j][y - 1]: side 0 = j is the left neighbour (of j + 1), 1 = the right one
        let mut bound = vec![[0f32; NY]; 2 * n];
        for side in 0..2 {
            let keep = &self.keep[side * NL * NY..(side + 1) * NL * NY];
            let swap = &self.swap[side * NL * NY..(side + 1) * NL * NY];
            for j in 0..n {
                let dj = &d[j * NL..(j + 1) * NL];
                let mut best = [0f32; NY];
                for y in 0..NY {
                    best[y] = keep[y].max(dj[0] + swap[y]);
                }
                for u in 1..NL {
                    let (k, w) = (&keep[u * NY..(u + 1) * NY], &swap[u * NY..(u + 1) * NY]);
                    for y in 0..NY {
                        let v = k[y].max(dj[u] + w[y]);
                        if v < best[y] {
                            best[y] = v;
                        }
                    }
                }
                bound[side * n + j] = best;
            }
        }
        let mut sure = vec![false; n];
        for i in 0..n {
            let mut ok = true;
            for y in 1..NL {
                let mut t = d[i * NL + y];
                if i > 0 {
                    t += bound[i - 1][y - 1];
                }
                if i + 1 < n {
                    t += bound[n + i + 1][y - 1];
                }
                if i == 0 {
                    t += self.first[y - 1];
                }
                if i == n - 1 {
                    t += self.last[y - 1];
                }
                if !(t > 0.0) {
                    ok = false;
                    break;
                }
            }
            sure[i] = ok;
        }
        let mut out = Vec::new();
        let mut s = 0;
        for i in 0..n {
            if !sure[i] {
                if i == 0 || sure[i - 1] {
                    s = i;
                }
                if i == n - 1 || sure[i + 1] {
                    out.push((s, i + 1));
                }
            }
        }
        out
    }

    /// `_stretches_viterbi`: exact Viterbi over each stretch, entered from O (or the start) and
    /// left to O (or the end); ties go to the first label.
    fn viterbi(&self, e: &[f32], n: usize, stretches: &[(usize, usize)], labels: &mut [u8]) {
        let mut score = [0f32; NL];
        let mut new = [0f32; NL];
        let mut back: Vec<[u8; NL]> = Vec::new();
        for &(s, t) in stretches {
            back.clear();
            back.resize(t - s, [0u8; NL]);
            for y in 0..NL {
                score[y] = (if s == 0 { self.start[y] } else { self.trans[y] }) + e[s * NL + y];
            }
            for i in s + 1..t {
                for y in 0..NL {
                    let mut best = score[0] + self.trans[y];
                    let mut arg = 0u8;
                    for p in 1..NL {
                        let v = score[p] + self.trans[p * NL + y];
                        if v > best {
                            best = v;
                            arg = p as u8;
                        }
                    }
                    back[i - s][y] = arg;
                    new[y] = best + e[i * NL + y];
                }
                score = new;
            }
            let fin = |y: usize| if t == n { self.end[y] } else { self.trans[y * NL] };
            let mut cur = 0usize;
            let mut best = score[0] + fin(0);
            for y in 1..NL {
                let v = score[y] + fin(y);
                if v > best {
                    best = v;
                    cur = y;
                }
            }
            for i in (s..t).rev() {
                labels[i] = cur as u8;
                if i > s {
                    cur = back[i - s][cur] as usize;
                }
            }
        }
    }
}

type Piece = (usize, usize, u8, usize, usize);

#[pymethods]
impl Tagger {
    /// Tables as float32 bytes in C order (shapes in the field comments), the padding word
    /// types' blocks, the \w and \s bitmaps (0x110000 bits, little-endian bit order) and the
    /// number of cached word types beyond which the cache is reset.
    #[new]
    #[pyo3(signature = (trans, start, end, keep, swap, first, last, into, out_t, bos, eos, word_bits, space_bits, limit, temperature))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        trans: &[u8], start: &[u8], end: &[u8], keep: &[u8], swap: &[u8], first: &[u8], last: &[u8],
        into: &[u8], out_t: &[u8], bos: &[u8], eos: &[u8], word_bits: &[u8], space_bits: &[u8],
        limit: usize, temperature: f32,
    ) -> PyResult<Self> {
        Ok(Tagger {
            word: bits(word_bits, "word_bits")?,
            space: bits(space_bits, "space_bits")?,
            trans: f32s(trans, NL * NL, "trans")?,
            start: f32s(start, NL, "start")?,
            end: f32s(end, NL, "end")?,
            keep: f32s(keep, 2 * NL * NY, "keep")?,
            swap: f32s(swap, 2 * NL * NY, "swap")?,
            first: f32s(first, NY, "first")?,
            last: f32s(last, NY, "last")?,
            into: f32s(into, (NL + 1) * NL, "into")?,
            out_t: f32s(out_t, (NL + 1) * NL, "out_t")?,
            temperature,
            bos: f32s(bos, BLOCK, "bos")?,
            eos: f32s(eos, BLOCK, "eos")?,
            index: HashMap::default(),
            blocks: Vec::new(),
            limit,
            lex: None,
        })
    }

    /// Feature data for computing new word types' blocks here: `chars` maps each character
    /// handled natively to (shape class, lower-case character, isupper, Arabic letter) as
    /// features.py sees it (a word with any other character goes back to Python); then the
    /// Lexicon's tables, the id -> row table (int32 bytes) and the weight rows with the zero
    /// row last (float32 bytes), and the crc32 of each offset's prefix.
    #[pyo3(signature = (chars, triggers, gazetteer, names, common, clusters, row_of, weights, prefix_crc))]
    #[allow(clippy::too_many_arguments)]
    fn set_lexicon(
        &mut self, chars: HashMap<char, (char, char, bool, bool)>, triggers: HashMap<String, Vec<String>, FxBuild>,
        gazetteer: HashMap<String, Vec<String>, FxBuild>, names: Vec<String>, common: Vec<String>,
        clusters: HashMap<u32, Vec<i64>, FxBuild>, row_of: &[u8], weights: &[u8], prefix_crc: [u32; NOFF],
    ) -> PyResult<()> {
        let row_of: Vec<u32> = row_of.chunks_exact(4).map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])).collect();
        if row_of.len() != N_BUCKETS || weights.len() % (4 * NL) != 0 {
            return Err(PyValueError::new_err("row_of / weights: wrong size"));
        }
        let weights = f32s(weights, weights.len() / 4, "weights")?;
        let n_rows = weights.len() / NL;
        if row_of.iter().any(|&r| r as usize >= n_rows) {
            return Err(PyValueError::new_err("row_of points past the weights"));
        }
        let mut gazetteer = gazetteer;
        for tags in gazetteer.values_mut() {
            tags.sort();
        }
        let top = chars.keys().map(|&c| c as usize + 1).max().unwrap_or(0);
        let mut table = vec![None; top];
        for (c, (class, lower, upper, arabic)) in chars {
            if !class.is_ascii() {
                return Err(PyValueError::new_err("chars: a shape class is one ASCII letter"));
            }
            table[c as usize] = Some(CharInfo { class: class as u8, lower, upper, arabic });
        }
        self.lex = Some(Lex {
            chars: table,
            triggers,
            gazetteer,
            names: names.into_iter().collect(),
            common: common.into_iter().collect(),
            clusters,
            row_of,
            weights,
            prefix_crc,
            prefix_shift: prefix_crc.iter().map(|&p| feats::zero_shifts(p, 256)).collect(),
        });
        Ok(())
    }

    /// The (len(words), 5, 9) float32 blocks of `words` computed here, as bytes, or None for a
    /// word that goes to Python (for the tests: they must equal `TaggerModel._word_blocks`).
    fn word_blocks(&self, py: Python<'_>, words: Vec<String>) -> Vec<Option<Py<PyBytes>>> {
        words
            .iter()
            .map(|w| {
                self.native_block(w).map(|b| {
                    let bytes: Vec<u8> = b.iter().flat_map(|v| v.to_ne_bytes()).collect();
                    PyBytes::new(py, &bytes).unbind()
                })
            })
            .collect()
    }

    /// Probability of each tagged token's type from `z` (np.exp of the `rows` of `tag`, float32
    /// bytes): (z[b] + z[b + 1]) / z.sum(), the sum in numpy's order for a row of 9 (pairwise:
    /// eight accumulators, then the ninth value).  The caller checks once that this equals numpy.
    fn probs(&self, z: &[u8], b_cols: Vec<usize>) -> PyResult<Vec<f32>> {
        let z = f32s(z, b_cols.len() * NL, "z")?;
        let mut out = Vec::with_capacity(b_cols.len());
        for (k, &b) in b_cols.iter().enumerate() {
            let r = &z[k * NL..(k + 1) * NL];
            if b + 1 >= NL {
                return Err(PyValueError::new_err("b_cols: not a B- column"));
            }
            let total = (((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))) + r[8];
            out.push((r[b] + r[b + 1]) / total);
        }
        Ok(out)
    }

    /// Number of cached word types.
    fn __len__(&self) -> usize {
        self.index.len()
    }

    /// Empty the word-type cache.
    #[pyo3(name = "reset")]
    fn py_reset(&mut self) {
        self.reset();
    }

    /// Tokens of `text` as `tagger.tokenize` gives them: (words, starts, ends).
    fn tokenize_text(&self, text: &str) -> (Vec<String>, Vec<usize>, Vec<usize>) {
        let toks = self.tokenize(text);
        let words = toks.iter().map(|t| text[t.b0..t.b1].to_string()).collect();
        (words, toks.iter().map(|t| t.c0).collect(), toks.iter().map(|t| t.c1).collect())
    }

    /// Tag `text` (the article's normalized text).  Called without `words`, the cache is first
    /// reset when the article's tokens could take it past the limit (as
    /// `TaggerModel.emissions` does); called with `words` and their `blocks` ((len(words), 5, 9)
    /// float32 bytes), those are added (no reset: the second call for the same article).  Returns
    /// `(missing, rows, b_cols, pieces)`: when some word types have no block, `missing` lists
    /// them (sorted, each once) and the rest is empty: compute their blocks and call again.
    /// Otherwise `missing` is None, `rows` the (tagged tokens, 9) float32 bytes of each tagged
    /// token's local scores (emission + transition from the previous label + transition to the
    /// next) minus their maximum, divided by the temperature (np.exp of it is the softmax's
    /// numerator), `b_cols` the B- column of each tagged token's type, and `pieces` the spans cut at
    /// line breaks: (start, end) in code points, type index (0-3 for PERSON, ORG, LOC, MISC),
    /// index of the first tagged token of the piece in `rows`, number of tokens.
    #[pyo3(signature = (text, words=None, blocks=None))]
    fn tag(
        &mut self, py: Python<'_>, text: &str, words: Option<Vec<String>>, blocks: Option<&[u8]>,
    ) -> PyResult<(Option<Vec<String>>, Py<PyBytes>, Vec<usize>, Vec<Piece>)> {
        let toks = self.tokenize(text);
        let n = toks.len();
        let empty = |py: Python<'_>| PyBytes::new(py, &[]).unbind();
        if n == 0 {
            return Ok((None, empty(py), vec![], vec![]));
        }
        if words.is_none() && self.index.len() + n > self.limit {
            self.reset();
        }
        if let Some(words) = words {
            let b = blocks.ok_or_else(|| PyValueError::new_err("words without blocks"))?;
            let vals = f32s(b, words.len() * BLOCK, "blocks")?;
            for (k, w) in words.into_iter().enumerate() {
                if !self.index.contains_key(&w) {
                    let row = (self.blocks.len() / BLOCK) as u32;
                    self.blocks.extend_from_slice(&vals[k * BLOCK..(k + 1) * BLOCK]);
                    self.index.insert(w, row);
                }
            }
        }
        let mut rows = Vec::with_capacity(n);
        let mut missing: Vec<&str> = Vec::new();
        for t in &toks {
            let w = &text[t.b0..t.b1];
            match self.index.get(w) {
                Some(&r) => rows.push(r),
                None => match self.native_block(w) {
                    Some(b) => {
                        let row = (self.blocks.len() / BLOCK) as u32;
                        self.blocks.extend_from_slice(&b);
                        self.index.insert(w.to_string(), row);
                        rows.push(row);
                    }
                    None => missing.push(w),
                },
            }
        }
        if !missing.is_empty() {
            missing.sort_unstable();
            missing.dedup();
            let m = missing.into_iter().map(str::to_string).collect();
            return Ok((Some(m), empty(py), vec![], vec![]));
        }
        let e = self.emissions(&rows);
        let mut labels = vec![0u8; n];
        let stretches = self.stretches(&e, n);
        self.viterbi(&e, n, &stretches, &mut labels);

        // Local score rows of the tagged tokens: (e + into[previous label]) + out_t[next label].
        let tagged: Vec<usize> = (0..n).filter(|&i| labels[i] != 0).collect();
        let mut out_rows: Vec<u8> = Vec::with_capacity(tagged.len() * NL * 4);
        let mut b_cols = Vec::with_capacity(tagged.len());
        for &i in &tagged {
            let prev = if i == 0 { NL } else { labels[i - 1] as usize };
            let next = if i == n - 1 { NL } else { labels[i + 1] as usize };
            let mut row = [0f32; NL];
            for y in 0..NL {
                row[y] = (e[i * NL + y] + self.into[prev * NL + y]) + self.out_t[next * NL + y];
            }
            // (row - row.max()) / temperature, the argument of the softmax's exp (exact ops)
            let top = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
            for v in row {
                out_rows.extend_from_slice(&((v - top) / self.temperature).to_ne_bytes());
            }
            let lab = labels[i] as usize;
            b_cols.push(lab - (lab - 1) % 2);
        }
        // Spans (`_spans`): an I- continuing a span of its type extends it; then cut at breaks.
        let mut spans: Vec<(usize, usize, u8, usize)> = Vec::new(); // first, last + 1, type, k
        for (k, &i) in tagged.iter().enumerate() {
            let lab = labels[i] as usize;
            let etype = ((lab - 1) / 2) as u8;
            let inside = lab % 2 == 0;
            if let Some(cur) = spans.last_mut() {
                if cur.1 == i && cur.2 == etype && inside {
                    cur.1 = i + 1;
                    continue;
                }
            }
            spans.push((i, i + 1, etype, k));
        }
        let mut pieces = Vec::with_capacity(spans.len());
        for (a, b, etype, k) in spans {
            let mut first = a;
            for j in a + 1..b {
                if toks[j].nl_before {
                    pieces.push((toks[first].c0, toks[j - 1].c1, etype, k + first - a, j - first));
                    first = j;
                }
            }
            pieces.push((toks[first].c0, toks[b - 1].c1, etype, k + first - a, b - first));
        }
        Ok((None, PyBytes::new(py, &out_rows).unbind(), b_cols, pieces))
    }
}

#[pymodule]
fn news_enricher_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Tagger>()?;
    m.add_class::<matcher::Matcher>()?;
    m.add_class::<langid::LangModel>()?;
    m.add_class::<text::CharMap>()?;
    m.add_class::<text::WordTable>()?;
    m.add_class::<text::Spaces>()?;
    m.add_class::<text::CharCounts>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
