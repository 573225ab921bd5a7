//! Score blocks of new word types: `features.feature_parts`, the crc32-hashed ids at each
//! offset and the per-(word, offset) sums of weight rows as `TaggerModel._word_blocks` makes
//! them (numpy's `add.reduceat`: the first row plus numpy's pairwise sum of the others).
//!
//! Only words whose every character is in the table Python hands over (`set_lexicon`) are
//! computed here: for those characters features.py's character tests and `str.lower()` are
//! known exactly; any other word returns None and Python computes its block.

use crate::{CharInfo, Lex, Tagger, BLOCK, NL, NOFF, N_BUCKETS};

static CRC_TABLE: [u32; 256] = {
    let mut t = [0u32; 256];
    let mut i = 0;
    while i < 256 {
        let mut c = i as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 { 0xEDB8_8320 ^ (c >> 1) } else { c >> 1 };
            k += 1;
        }
        t[i] = c;
        i += 1;
    }
    t
};

/// zlib.crc32(data, start)
pub fn crc32(data: &[u8], start: u32) -> u32 {
    let mut c = !start;
    for &b in data {
        c = CRC_TABLE[((c ^ b as u32) & 0xff) as usize] ^ (c >> 8);
    }
    !c
}

const CONJ: [char; 2] = ['و', 'ف'];
const PREP: [char; 3] = ['ب', 'ل', 'ك'];
const CLITIC_FIRST: [char; 6] = ['و', 'ف', 'ب', 'ل', 'ك', 'ا'];
const ALT_FIRST: [char; 5] = ['و', 'ف', 'ب', 'ل', 'ك'];
const LAM: char = 'ل';
const ALEF: char = 'ا';

fn s(cs: &[char]) -> String {
    cs.iter().collect()
}

/// features.strip_proclitics on characters: (clitics, stem with article, bare stem).
fn strip_proclitics(w: &[char]) -> (Vec<char>, Vec<char>, Vec<char>) {
    if w.is_empty() || !CLITIC_FIRST.contains(&w[0]) {
        return (vec![], w.to_vec(), w.to_vec());
    }
    let mut clit: Vec<char> = vec![];
    let mut rest: &[char] = w;
    if rest.len() > 3 && CONJ.contains(&rest[0]) {
        clit.push(rest[0]);
        rest = &rest[1..];
    }
    if rest.len() > 3 && rest[0] == LAM && rest[1] == LAM {
        clit.extend([LAM, LAM]);
        let mut with_art = vec![ALEF, LAM];
        with_art.extend_from_slice(&rest[2..]);
        return (clit, with_art, rest[2..].to_vec());
    }
    if rest.len() > 3 && PREP.contains(&rest[0]) && rest[1] == ALEF && rest[2] == LAM {
        clit.push(rest[0]);
        rest = &rest[1..];
    }
    let with_article = rest.to_vec();
    if rest.len() > 3 && rest[0] == ALEF && rest[1] == LAM {
        clit.extend([ALEF, LAM]);
        rest = &rest[2..];
    }
    (clit, with_article, rest.to_vec())
}

fn len_bucket(n: usize) -> String {
    if n < 6 {
        n.to_string()
    } else if n <= 8 {
        "6-8".into()
    } else {
        "9+".into()
    }
}

fn head(cs: &[char], k: usize) -> String {
    s(&cs[..k.min(cs.len())])
}

fn tail(cs: &[char], k: usize) -> String {
    s(&cs[cs.len() - k.min(cs.len())..])
}

fn cluster_features(cluster: &[i64], out: &mut Vec<String>) {
    for (j, c) in cluster.iter().enumerate() {
        out.push(format!("c{j}={c}"));
    }
}

impl Lex {
    fn gaz(&self, key: &[char]) -> Option<&Vec<String>> {
        // `lex.gazetteer.get(x) or ...`: the KB never stores an empty tag set, but be exact
        self.gazetteer.get(&s(key)).filter(|v| !v.is_empty())
    }

    fn cluster(&self, stem: &[char]) -> Option<&Vec<i64>> {
        if self.clusters.is_empty() {
            return None;
        }
        self.clusters.get(&crc32(s(stem).as_bytes(), 0))
    }

    /// features._alt_features
    fn alt_features(&self, low: &[char], has_gaz: bool, has_cluster: bool) -> Vec<String> {
        for cut in 1..=2usize {
            if low.len() < cut + 3 || low[..cut].iter().any(|c| !ALT_FIRST.contains(c)) {
                break;
            }
            let rest = &low[cut..];
            let (_, with_art, stem) = strip_proclitics(rest);
            let cluster = self.cluster(&stem);
            let gaz = self.gaz(rest).or_else(|| self.gaz(&with_art)).or_else(|| self.gaz(&stem));
            if cluster.is_none() && gaz.is_none() {
                continue;
            }
            let mut out = vec!["alt".to_string(), format!("ast={}", s(&stem))];
            if !has_gaz {
                if let Some(g) = gaz {
                    out.extend(g.iter().map(|t| format!("gz={t}")));
                }
            }
            if let Some(c) = cluster {
                if !has_cluster {
                    cluster_features(c, &mut out);
                }
            }
            return out;
        }
        vec![]
    }

    /// features.feature_parts: (only at offset 0, only at offsets -1 and +1, at every offset),
    /// or None when a character is not in the table.
    fn feature_parts(&self, word: &str) -> Option<(Vec<String>, Vec<String>, Vec<String>)> {
        let info: Vec<CharInfo> =
            word.chars().map(|c| self.chars.get(c as usize).copied().flatten()).collect::<Option<_>>()?;
        if info.is_empty() {
            return None;
        }
        let low: Vec<char> = info.iter().map(|i| i.lower).collect();
        let arabic = info[0].arabic;
        let (clit, with_art, stem) = if arabic { strip_proclitics(&low) } else { (vec![], low.clone(), low.clone()) };
        let (low_s, wa_s, stem_s) = (s(&low), s(&with_art), s(&stem));
        let tg = |k: &String| self.triggers.get(k);
        let mut cues: Vec<&String> = vec![];
        let (gaz, given, ordinary);
        if !clit.is_empty() {
            for t in [tg(&low_s), tg(&wa_s), tg(&stem_s)].into_iter().flatten() {
                cues.extend(t.iter());
            }
            gaz = self.gaz(&low).or_else(|| self.gaz(&with_art)).or_else(|| self.gaz(&stem));
            given = self.names.contains(&low_s) || self.names.contains(&wa_s) || self.names.contains(&stem_s);
            ordinary = self.common.contains(&low_s) || self.common.contains(&wa_s);
        } else {
            if let Some(t) = tg(&low_s) {
                cues.extend(t.iter());
            }
            gaz = self.gaz(&low);
            given = self.names.contains(&low_s);
            ordinary = self.common.contains(&low_s);
        }
        let cluster = self.cluster(&stem);

        // shape(word): classes of the first 12 characters, runs collapsed
        let mut shape = String::new();
        let mut prev = 0u8;
        for i in info.iter().take(12) {
            if i.class != prev {
                shape.push(i.class as char);
                prev = i.class;
            }
        }
        let mut common = vec![format!("st={stem_s}"), format!("sh={shape}")];
        cues.sort();
        cues.dedup();
        common.extend(cues.iter().map(|t| format!("tr={t}")));
        if !self.names.is_empty() && given {
            common.push("gn".into());
        }
        if ordinary {
            common.push("cw".into());
        }
        let mut alt_cluster = false;
        if arabic && !(gaz.is_some() && cluster.is_some()) && low.len() > 3 && ALT_FIRST.contains(&low[0]) {
            let alt = self.alt_features(&low, gaz.is_some(), cluster.is_some());
            alt_cluster = alt.iter().any(|f| f.starts_with("c0="));
            common.extend(alt);
        }
        if let Some(g) = gaz {
            common.extend(g.iter().map(|t| format!("gz={t}")));
        }
        match cluster {
            Some(c) if !c.is_empty() => cluster_features(c, &mut common),
            _ => {
                if !alt_cluster {
                    common.push("c=none".into());
                }
            }
        }
        let clit_s = s(&clit);
        let mut f0 = vec![
            "b".to_string(),
            format!("w={low_s}"),
            format!("wa={wa_s}"),
            format!("cl={clit_s}"),
            format!("len={}", len_bucket(stem.len())),
            format!("p1={}", head(&stem, 1)),
            format!("p2={}", head(&stem, 2)),
            format!("p3={}", head(&stem, 3)),
            format!("s1={}", tail(&stem, 1)),
            format!("s2={}", tail(&stem, 2)),
            format!("s3={}", tail(&stem, 3)),
            format!("wp2={}", head(&low, 2)),
            format!("ws1={}", tail(&low, 1)),
            format!("ws2={}", tail(&low, 2)),
        ];
        let mut f1 = vec![format!("w={low_s}"), format!("s2={}", tail(&stem, 2)), format!("cl={clit_s}")];
        if !arabic && info[0].upper {
            f0.push("cap".into());
            f1.push("cap".into());
        }
        Some((f0, f1, common))
    }

    /// The weight row of each (offset, feature) id: `crc32(feature, prefix_crc[j])` as
    /// `feature_ids` hashes it.  crc32 is affine in its start value: crc32(f, p) = crc32(f, 0) ^
    /// shift(p, len(f)), where shift runs the register over len(f) zero bytes (no inversions);
    /// so each feature is hashed once, and the offsets' shifts come from a table.
    fn id(&self, crc0: u32, len: usize, feature: &str, j: usize) -> usize {
        let crc = match self.prefix_shift[j].get(len) {
            Some(&shift) => crc0 ^ shift,
            None => crc32(feature.as_bytes(), self.prefix_crc[j]),
        };
        (crc as usize) & (N_BUCKETS - 1)
    }
}

/// `shift(p, n)` of `Lex::id` for n in 0..len: the crc register run from `p` over n zero bytes.
pub(crate) fn zero_shifts(p: u32, len: usize) -> Vec<u32> {
    let mut out = Vec::with_capacity(len);
    let mut c = p;
    for _ in 0..len {
        out.push(c);
        c = CRC_TABLE[(c & 0xff) as usize] ^ (c >> 8);
    }
    out
}

/// numpy's pairwise sum of float32 values (`pairwise_sum_FLOAT`, blocksize 128).
fn pairwise(a: &[[f32; NL]], y: usize) -> f32 {
    let n = a.len();
    if n < 8 {
        let mut res = -0.0f32;
        for v in a {
            res += v[y];
        }
        res
    } else if n <= 128 {
        let mut r = [0f32; 8];
        for k in 0..8 {
            r[k] = a[k][y];
        }
        let mut i = 8;
        while i < n - (n % 8) {
            for k in 0..8 {
                r[k] += a[i + k][y];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i][y];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise(&a[..n2], y) + pairwise(&a[n2..], y)
    }
}

impl Tagger {
    /// The (5, 9) block of a new word type, summed as `_word_blocks` sums it, or None when the
    /// word is left to Python (no lexicon set, or a character outside the table).
    pub(crate) fn native_block(&self, word: &str) -> Option<[f32; BLOCK]> {
        let lex = self.lex.as_ref()?;
        let (f0, f1, common) = lex.feature_parts(word)?;
        let crcs = |fs: &[String]| fs.iter().map(|f| crc32(f.as_bytes(), 0)).collect::<Vec<u32>>();
        let (c0, c1, cc) = (crcs(&f0), crcs(&f1), crcs(&common));
        // All the rows first, in one tight loop: their cache misses (the id -> row table and the
        // weights are megabytes) then overlap instead of coming one after another.
        let mut ids: Vec<usize> = Vec::with_capacity(f0.len() + 2 * f1.len() + NOFF * common.len());
        let mut ends = [0usize; NOFF];
        for j in 0..NOFF {
            // offset -2, +2: common; -1, +1: f1 then common; 0: f0 then common
            let (own, own_crc): (&[String], &[u32]) = match j {
                1 | 3 => (&f1, &c1),
                2 => (&f0, &c0),
                _ => (&[], &[]),
            };
            for (f, &c) in own.iter().zip(own_crc).chain(common.iter().zip(&cc)) {
                ids.push(lex.id(c, f.len(), f, j));
            }
            ends[j] = ids.len();
        }
        let rows: Vec<usize> = ids.iter().map(|&id| lex.row_of[id] as usize * NL).collect();
        let rows: Vec<[f32; NL]> = rows.iter().map(|&r| lex.weights[r..r + NL].try_into().unwrap()).collect();
        let mut out = [0f32; BLOCK];
        let mut start = 0;
        for j in 0..NOFF {
            let rows = &rows[start..ends[j]];
            start = ends[j];
            // numpy reduceat: the first row, plus the pairwise sum of the rest (if any)
            for y in 0..NL {
                out[j * NL + y] = if rows.len() > 1 { rows[0][y] + pairwise(&rows[1..], y) } else { rows[0][y] };
            }
        }
        Some(out)
    }
}
