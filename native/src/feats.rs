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

/// A feature as `feature_ids` hashes it: (crc32 of its UTF-8 bytes, their number).  Built from
/// its pieces (crc32 continues over concatenated data), so no feature string is allocated.
pub(crate) type Feat = (u32, usize);

fn feat(parts: &[&str]) -> Feat {
    parts.iter().fold((0, 0), |(c, n), p| (crc32(p.as_bytes(), c), n + p.len()))
}

fn head(s: &str, k: usize) -> &str {
    s.char_indices().nth(k).map_or(s, |(i, _)| &s[..i])
}

fn tail(s: &str, k: usize) -> &str {
    let n = s.chars().count();
    if k >= n {
        s
    } else {
        &s[s.char_indices().nth(n - k).unwrap().0..]
    }
}

fn cluster_features(cluster: &[i64], buf: &mut String, out: &mut Vec<Feat>) {
    use std::fmt::Write;
    for (j, c) in cluster.iter().enumerate() {
        buf.clear();
        write!(buf, "c{j}={c}").unwrap();
        out.push(feat(&[buf]));
    }
}

impl Lex {
    fn gaz(&self, key: &str) -> Option<&Vec<String>> {
        // `lex.gazetteer.get(x) or ...`: the KB never stores an empty tag set, but be exact
        self.gazetteer.get(key).filter(|v| !v.is_empty())
    }

    fn cluster(&self, stem: &str) -> Option<&Vec<i64>> {
        if self.clusters.is_empty() {
            return None;
        }
        self.clusters.get(&crc32(stem.as_bytes(), 0))
    }

    /// features._alt_features; whether it gave cluster features (`c0=...`).
    fn alt_features(&self, low: &[char], has_gaz: bool, has_cluster: bool, buf: &mut String, out: &mut Vec<Feat>) -> bool {
        for cut in 1..=2usize {
            if low.len() < cut + 3 || low[..cut].iter().any(|c| !ALT_FIRST.contains(c)) {
                break;
            }
            let rest = &low[cut..];
            let (_, with_art, stem) = strip_proclitics(rest);
            let (rest_s, wa_s, stem_s) = (s(rest), s(&with_art), s(&stem));
            let cluster = self.cluster(&stem_s);
            let gaz = self.gaz(&rest_s).or_else(|| self.gaz(&wa_s)).or_else(|| self.gaz(&stem_s));
            if cluster.is_none() && gaz.is_none() {
                continue;
            }
            out.push(feat(&["alt"]));
            out.push(feat(&["ast=", &stem_s]));
            if !has_gaz {
                if let Some(g) = gaz {
                    out.extend(g.iter().map(|t| feat(&["gz=", t])));
                }
            }
            if let Some(c) = cluster {
                if !has_cluster {
                    cluster_features(c, buf, out);
                    return !c.is_empty();
                }
            }
            return false;
        }
        false
    }

    /// features.feature_parts: (only at offset 0, only at offsets -1 and +1, at every offset),
    /// or None when a character is not in the table.
    fn feature_parts(&self, word: &str) -> Option<(Vec<Feat>, Vec<Feat>, Vec<Feat>)> {
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
            gaz = self.gaz(&low_s).or_else(|| self.gaz(&wa_s)).or_else(|| self.gaz(&stem_s));
            given = self.names.contains(&low_s) || self.names.contains(&wa_s) || self.names.contains(&stem_s);
            ordinary = self.common.contains(&low_s) || self.common.contains(&wa_s);
        } else {
            if let Some(t) = tg(&low_s) {
                cues.extend(t.iter());
            }
            gaz = self.gaz(&low_s);
            given = self.names.contains(&low_s);
            ordinary = self.common.contains(&low_s);
        }
        let cluster = self.cluster(&stem_s);

        // shape(word): classes of the first 12 characters, runs collapsed
        let mut shape = String::new();
        let mut prev = 0u8;
        for i in info.iter().take(12) {
            if i.class != prev {
                shape.push(i.class as char);
                prev = i.class;
            }
        }
        let mut buf = String::new();
        let mut common = vec![feat(&["st=", &stem_s]), feat(&["sh=", &shape])];
        cues.sort();
        cues.dedup();
        common.extend(cues.iter().map(|t| feat(&["tr=", t])));
        if !self.names.is_empty() && given {
            common.push(feat(&["gn"]));
        }
        if ordinary {
            common.push(feat(&["cw"]));
        }
        let mut alt_cluster = false;
        if arabic && !(gaz.is_some() && cluster.is_some()) && low.len() > 3 && ALT_FIRST.contains(&low[0]) {
            alt_cluster = self.alt_features(&low, gaz.is_some(), cluster.is_some(), &mut buf, &mut common);
        }
        if let Some(g) = gaz {
            common.extend(g.iter().map(|t| feat(&["gz=", t])));
        }
        match cluster {
            Some(c) if !c.is_empty() => cluster_features(c, &mut buf, &mut common),
            _ => {
                if !alt_cluster {
                    common.push(feat(&["c=none"]));
                }
            }
        }
        let clit_s = s(&clit);
        let len = len_bucket(stem.len());
        let mut f0 = vec![
            feat(&["b"]),
            feat(&["w=", &low_s]),
            feat(&["wa=", &wa_s]),
            feat(&["cl=", &clit_s]),
            feat(&["len=", &len]),
            feat(&["p1=", head(&stem_s, 1)]),
            feat(&["p2=", head(&stem_s, 2)]),
            feat(&["p3=", head(&stem_s, 3)]),
            feat(&["s1=", tail(&stem_s, 1)]),
            feat(&["s2=", tail(&stem_s, 2)]),
            feat(&["s3=", tail(&stem_s, 3)]),
            feat(&["wp2=", head(&low_s, 2)]),
            feat(&["ws1=", tail(&low_s, 1)]),
            feat(&["ws2=", tail(&low_s, 2)]),
        ];
        let mut f1 = vec![feat(&["w=", &low_s]), feat(&["s2=", tail(&stem_s, 2)]), feat(&["cl=", &clit_s])];
        if !arabic && info[0].upper {
            f0.push(feat(&["cap"]));
            f1.push(feat(&["cap"]));
        }
        Some((f0, f1, common))
    }

    /// The weight row id of a feature (`feat`) at offset j: `crc32(feature, prefix_crc[j])` as
    /// `feature_ids` hashes it.  crc32 is affine in its start value: crc32(f, p) = crc32(f, 0) ^
    /// shift(p, len(f)), where shift runs the register over len(f) zero bytes (no inversions);
    /// so each feature is hashed once, and the offsets' shifts come from a table.
    fn id(&self, (crc0, len): Feat, j: usize) -> usize {
        let shift = match self.prefix_shift[j].get(len) {
            Some(&shift) => shift,
            None => (0..len).fold(self.prefix_crc[j], |c, _| CRC_TABLE[(c & 0xff) as usize] ^ (c >> 8)),
        };
        ((crc0 ^ shift) as usize) & (N_BUCKETS - 1)
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
        // All the rows first, in one tight loop: their cache misses (the id -> row table and the
        // weights are megabytes) then overlap instead of coming one after another.
        let mut ids: Vec<usize> = Vec::with_capacity(f0.len() + 2 * f1.len() + NOFF * common.len());
        let mut ends = [0usize; NOFF];
        for j in 0..NOFF {
            // offset -2, +2: common; -1, +1: f1 then common; 0: f0 then common
            let own: &[Feat] = match j {
                1 | 3 => &f1,
                2 => &f0,
                _ => &[],
            };
            ids.extend(own.iter().chain(common.iter()).map(|&f| lex.id(f, j)));
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
