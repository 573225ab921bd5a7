//! fastText supervised prediction (`service/text/language.py`): the best label of one line of
//! text and its probability, as fasttext-predict gives them for k=1 and threshold 0, for a
//! quantized model with hierarchical softmax (`lid.176.ftz`).  Same tokenizing, hashing and
//! float32 arithmetic in the same order, so the same label and the same score.
//!
//! Where it differs from the C++ code is only where the data lives: an input row's norm and its
//! product-quantizer codes are one record (fastText reads them from two arrays), and an n-gram's
//! bucket is looked up in an open-addressing table (fastText's is node-based): fewer cache lines
//! per n-gram, which is most of the cost inside the pipeline.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::collections::HashMap;

use crate::FxBuild;

const MAGIC: i32 = 793712314;
const MAX_VERSION: i32 = 12;
const KSUB: usize = 256; // centroids per sub-quantizer (8-bit codes)
const EOS: &[u8] = b"</s>";
const LABEL_PREFIX: &[u8] = b"__label__";
const MAX_CODES: usize = 15;

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> PyResult<&'a [u8]> {
        if self.pos + n > self.data.len() {
            return Err(PyValueError::new_err("LangModel: the model file ends early"));
        }
        let s = &self.data[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }
    fn i32(&mut self) -> PyResult<i32> {
        Ok(i32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn i64(&mut self) -> PyResult<i64> {
        Ok(i64::from_le_bytes(self.take(8)?.try_into().unwrap()))
    }
    fn f32(&mut self) -> PyResult<f32> {
        Ok(f32::from_le_bytes(self.take(4)?.try_into().unwrap()))
    }
    fn u8(&mut self) -> PyResult<u8> {
        Ok(self.take(1)?[0])
    }
    fn cstr(&mut self) -> PyResult<&'a [u8]> {
        let rest = &self.data[self.pos..];
        let n = rest.iter().position(|&b| b == 0).ok_or_else(|| PyValueError::new_err("LangModel: bad word"))?;
        self.pos += n + 1;
        Ok(&rest[..n])
    }
}

struct Pq {
    nsubq: usize,
    dsub: usize,
    lastdsub: usize,
    centroids: Vec<f32>,
}

impl Pq {
    fn load(r: &mut Reader) -> PyResult<Pq> {
        let dim = r.i32()? as usize;
        let nsubq = r.i32()? as usize;
        let dsub = r.i32()? as usize;
        let lastdsub = r.i32()? as usize;
        let centroids = (0..dim * KSUB).map(|_| r.f32()).collect::<PyResult<Vec<f32>>>()?;
        Ok(Pq { nsubq, dsub, lastdsub, centroids })
    }
    /// `x += alpha * row` (fastText's ProductQuantizer::addcode).
    fn add_row(&self, row: &Row, alpha: f32, x: &mut [f32]) {
        for m in 0..self.nsubq {
            for (n, &c) in self.centroid(m, row.codes[m]).iter().enumerate() {
                x[m * self.dsub + n] += alpha * c;
            }
        }
    }

    /// `x . row` times the row's norm (fastText's ProductQuantizer::mulcode).
    fn dot_row(&self, row: &Row, x: &[f32]) -> f32 {
        let mut res: f32 = 0.0;
        for m in 0..self.nsubq {
            for (n, &c) in self.centroid(m, row.codes[m]).iter().enumerate() {
                res += x[m * self.dsub + n] * c;
            }
        }
        res * row.norm
    }

    #[inline]
    fn centroid(&self, m: usize, code: u8) -> &[f32] {
        let i = code as usize;
        if m == self.nsubq - 1 {
            let s = m * KSUB * self.dsub + i * self.lastdsub;
            &self.centroids[s..s + self.lastdsub]
        } else {
            let s = (m * KSUB + i) * self.dsub;
            &self.centroids[s..s + self.dsub]
        }
    }
}

/// A quantized matrix's row: its norm (1 when norms are not quantized) and its codes.
#[derive(Clone, Copy)]
struct Row {
    norm: f32,
    codes: [u8; MAX_CODES],
}

fn load_quant(r: &mut Reader) -> PyResult<(Pq, Vec<Row>)> {
    let qnorm = r.u8()? != 0;
    let m = r.i64()? as usize;
    let _n = r.i64()?;
    let codesize = r.i32()? as usize;
    let codes = r.take(codesize)?;
    let pq = Pq::load(r)?;
    if pq.nsubq > MAX_CODES || codesize != m * pq.nsubq {
        return Err(PyValueError::new_err("LangModel: unexpected quantizer shape"));
    }
    let mut rows: Vec<Row> = (0..m)
        .map(|i| {
            let mut c = [0u8; MAX_CODES];
            c[..pq.nsubq].copy_from_slice(&codes[i * pq.nsubq..(i + 1) * pq.nsubq]);
            Row { norm: 1.0, codes: c }
        })
        .collect();
    if qnorm {
        let norm_codes = r.take(m)?;
        let npq = Pq::load(r)?;
        for (row, &code) in rows.iter_mut().zip(norm_codes) {
            row.norm = npq.centroid(0, code)[0];
        }
    }
    Ok((pq, rows))
}

enum Output {
    Quant(Pq, Vec<Row>),
    Dense(usize, Vec<f32>),
}

#[pyclass(module = "news_enricher_native", frozen)]
pub struct LangModel {
    dim: usize,
    minn: usize,
    maxn: usize,
    bucket: u32,
    word_ngrams: usize,
    nwords: usize,
    word_ids: HashMap<Vec<u8>, u32, FxBuild>, // word or label -> its index in the dictionary
    is_label: Vec<bool>,
    subwords: Vec<Vec<u32>>, // per word: the input rows of the word and its n-grams
    pruned: HashMap<u32, u32, FxBuild>, // n-gram bucket -> its row among the n-gram rows (pruned models)
    prune_size: i64,                    // -1: not pruned (every bucket has a row); 0: no n-gram rows
    pq: Pq,
    rows: Vec<Row>,
    output: Output,
    tree: Vec<(i32, i32)>, // (left, right) of every node; leaves are the labels
    labels: Vec<String>,
}

fn fnv(bytes: &[u8]) -> u32 {
    let mut h: u32 = 2166136261;
    for &b in bytes {
        h ^= b as i8 as i32 as u32; // the C++ code widens a signed char
        h = h.wrapping_mul(16777619);
    }
    h
}

impl LangModel {
    /// The rows of the character n-grams of `token` between "<" and ">" (n from minn to maxn, in
    /// code points).
    fn ngram_rows(&self, token: &[u8], out: &mut Vec<u32>) {
        let mut word = Vec::with_capacity(token.len() + 2);
        word.push(b'<');
        word.extend_from_slice(token);
        word.push(b'>');
        let n_bytes = word.len();
        for i in 0..n_bytes {
            if word[i] & 0xC0 == 0x80 {
                continue;
            }
            let mut j = i;
            let mut n = 1;
            while j < n_bytes && n <= self.maxn {
                j += 1;
                while j < n_bytes && word[j] & 0xC0 == 0x80 {
                    j += 1;
                }
                if n >= self.minn && !(n == 1 && (i == 0 || j == n_bytes)) {
                    self.push_bucket(fnv(&word[i..j]) % self.bucket, out);
                }
                n += 1;
            }
        }
    }

    fn push_bucket(&self, bucket: u32, out: &mut Vec<u32>) {
        if self.prune_size == 0 {
            return;
        }
        if self.prune_size > 0 {
            if let Some(&row) = self.pruned.get(&bucket) {
                out.push(self.nwords as u32 + row);
            }
        } else {
            out.push(self.nwords as u32 + bucket);
        }
    }

    /// The input rows of one line (fastText's Dictionary::getLine for prediction).
    fn line_rows(&self, text: &[u8]) -> Vec<u32> {
        let mut rows = Vec::with_capacity(text.len() * 2);
        let mut hashes: Vec<i32> = Vec::new(); // fastText keeps them as int32
        let is_space = |b: u8| matches!(b, b' ' | b'\n' | b'\r' | b'\t' | 0x0b | 0x0c | 0);
        // the tokens of `text + "\n"`: its words up to the first end of line, then the end of line
        let line = text.split(|&b| b == b'\n').next().unwrap_or(text);
        let words = line.split(|&b| is_space(b)).filter(|w| !w.is_empty());
        for token in words.chain(std::iter::once(EOS)) {
            let h = fnv(token);
            let wid = self.word_ids.get(token).copied();
            let label = match wid {
                Some(w) => self.is_label[w as usize],
                None => token.starts_with(LABEL_PREFIX),
            };
            if !label {
                match wid {
                    Some(w) => rows.extend_from_slice(&self.subwords[w as usize]),
                    None if token != EOS => self.ngram_rows(token, &mut rows),
                    None => {}
                }
                hashes.push(h as i32);
            }
            if token == EOS {
                break;
            }
        }
        for i in 0..hashes.len() {
            let mut h = hashes[i] as i64 as u64; // sign-extended, as in C++
            for &next in hashes.iter().take((i + self.word_ngrams).min(hashes.len())).skip(i + 1) {
                h = h.wrapping_mul(116049371).wrapping_add(next as i64 as u64);
                self.push_bucket((h % self.bucket as u64) as u32, &mut rows);
            }
        }
        rows
    }

    fn dot_output(&self, hidden: &[f32], i: usize) -> f32 {
        match &self.output {
            Output::Quant(pq, rows) => pq.dot_row(&rows[i], hidden),
            Output::Dense(n, data) => {
                let mut d: f32 = 0.0;
                for j in 0..*n {
                    d += data[i * n + j] * hidden[j];
                }
                d
            }
        }
    }

    /// The best leaf under `node` (fastText's HierarchicalSoftmaxLoss::dfs for k=1).
    fn dfs(&self, node: usize, score: f32, floor: f32, best: &mut Option<(f32, usize)>, hidden: &[f32]) {
        if score < floor {
            return;
        }
        if let Some((b, _)) = best {
            if score < *b {
                return;
            }
        }
        let (left, right) = self.tree[node];
        if left == -1 && right == -1 {
            *best = Some((score, node)); // a tie goes to the later leaf, as in fastText's heap
            return;
        }
        let osz = self.labels.len();
        let f = self.dot_output(hidden, node - osz);
        let f = (1.0f64 / (1.0f32 + (-f).exp()) as f64) as f32;
        self.dfs(left as usize, score + std_log((1.0f64 - f as f64) as f32), floor, best, hidden);
        self.dfs(right as usize, score + std_log(f), floor, best, hidden);
    }
}

#[inline]
fn std_log(x: f32) -> f32 {
    (x as f64 + 1e-5).ln() as f32
}

#[pymethods]
impl LangModel {
    /// Load a supervised fastText model (`.bin` or quantized `.ftz`) trained with
    /// hierarchical softmax.
    #[new]
    fn new(path: &str) -> PyResult<Self> {
        let data = std::fs::read(path).map_err(|e| PyValueError::new_err(format!("{path}: {e}")))?;
        let r = &mut Reader { data: &data, pos: 0 };
        let (magic, version) = (r.i32()?, r.i32()?);
        if magic != MAGIC || version > MAX_VERSION {
            return Err(PyValueError::new_err(format!("{path}: not a fastText model")));
        }
        let dim = r.i32()? as usize;
        let _ws = r.i32()?;
        let _epoch = r.i32()?;
        let _min_count = r.i32()?;
        let _neg = r.i32()?;
        let word_ngrams = r.i32()? as usize;
        let loss = r.i32()?;
        let model = r.i32()?;
        let bucket = r.i32()? as u32;
        let minn = r.i32()? as usize;
        let maxn = if version == 11 { r.i32()?; 0 } else { r.i32()? as usize }; // old models: no n-grams
        let _lr_update_rate = r.i32()?;
        let _t = r.i64()?;
        if loss != 1 || model != 3 {
            return Err(PyValueError::new_err(format!("{path}: only supervised models with hierarchical softmax")));
        }
        // dictionary
        let size = r.i32()? as usize;
        let nwords = r.i32()? as usize;
        let _nlabels = r.i32()?;
        let _ntokens = r.i64()?;
        let pruneidx_size = r.i64()?;
        let mut words: Vec<Vec<u8>> = Vec::with_capacity(size);
        let mut is_label = Vec::with_capacity(size);
        let mut label_counts = Vec::new();
        let mut labels = Vec::new();
        for _ in 0..size {
            let w = r.cstr()?.to_vec();
            let count = r.i64()?;
            let kind = r.u8()?;
            is_label.push(kind == 1);
            if kind == 1 {
                label_counts.push(count);
                labels.push(String::from_utf8_lossy(&w[LABEL_PREFIX.len().min(w.len())..]).into_owned());
            }
            words.push(w);
        }
        let mut pruned = HashMap::default();
        for _ in 0..pruneidx_size.max(0) {
            let first = r.i32()?;
            let second = r.i32()?;
            pruned.insert(first as u32, second as u32);
        }
        if r.u8()? == 0 {
            return Err(PyValueError::new_err(format!("{path}: only quantized models (.ftz)")));
        }
        let (pq, rows) = load_quant(r)?;
        let qout = r.u8()? != 0;
        let output = if qout {
            let (opq, orows) = load_quant(r)?;
            Output::Quant(opq, orows)
        } else {
            let m = r.i64()? as usize;
            let n = r.i64()? as usize;
            let d = (0..m * n).map(|_| r.f32()).collect::<PyResult<Vec<f32>>>()?;
            Output::Dense(n, d)
        };
        // Huffman tree over the labels' counts (sorted by count, most frequent first)
        let osz = label_counts.len();
        if osz == 0 {
            return Err(PyValueError::new_err(format!("{path}: no labels")));
        }
        let mut tree = vec![(-1i32, -1i32); 2 * osz - 1];
        let mut count = vec![1e15 as i64; 2 * osz - 1];
        count[..osz].copy_from_slice(&label_counts);
        let mut leaf = osz as i64 - 1;
        let mut node = osz;
        for i in osz..2 * osz - 1 {
            let mut mini = [0usize; 2];
            for slot in &mut mini {
                if leaf >= 0 && count[leaf as usize] < count[node] {
                    *slot = leaf as usize;
                    leaf -= 1;
                } else {
                    *slot = node;
                    node += 1;
                }
            }
            tree[i] = (mini[0] as i32, mini[1] as i32);
            count[i] = count[mini[0]] + count[mini[1]];
        }
        let mut m = LangModel {
            dim,
            minn,
            maxn,
            bucket,
            word_ngrams,
            nwords,
            word_ids: HashMap::default(),
            is_label,
            subwords: Vec::with_capacity(size),
            pruned,
            prune_size: pruneidx_size,
            pq,
            rows,
            output,
            tree,
            labels,
        };
        for (i, w) in words.iter().enumerate() {
            let mut sub = vec![i as u32];
            if w.as_slice() != EOS {
                m.ngram_rows(w, &mut sub);
            }
            m.subwords.push(sub);
        }
        for (i, w) in words.into_iter().enumerate() {
            m.word_ids.entry(w).or_insert(i as u32);
        }
        Ok(m)
    }

    /// (label without `__label__`, probability) of the most likely label of one line of text.
    fn predict(&self, text: &str) -> PyResult<(String, f64)> {
        let rows = self.line_rows(text.as_bytes());
        if rows.is_empty() {
            return Err(PyValueError::new_err("LangModel: nothing to read"));
        }
        let mut hidden = vec![0f32; self.dim];
        for &r in &rows {
            let row = &self.rows[r as usize];
            self.pq.add_row(row, row.norm, &mut hidden);
        }
        let scale = (1.0f64 / rows.len() as f64) as f32;
        for x in hidden.iter_mut() {
            *x *= scale;
        }
        let mut best = None;
        let floor = std_log(0.0);
        self.dfs(self.tree.len() - 1, 0.0, floor, &mut best, &hidden);
        let (score, leaf) = best.ok_or_else(|| PyValueError::new_err("LangModel: no label"))?;
        Ok((self.labels[leaf].clone(), score.exp() as f64))
    }
}
